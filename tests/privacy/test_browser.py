"""The privacy pages in a real browser: axe-core finds no serious violation, in both
languages and at a phone's width; a citizen gives and withdraws consent by keyboard."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from gorod.privacy.models import Consent
from gorod.privacy.services import consent_give, release_publish
from tests.browser.helpers import assert_accessible, sign_in, use_language
from tests.people.factories import CitizenFactory, child_of
from tests.places.factories import DistrictFactory
from tests.privacy.factories import first_texts_publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["ru", "en"]


@pytest.fixture(autouse=True)
def _texts() -> None:
    first_texts_publish()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("url_name", ["privacy:consents", "privacy:export-page"])
def test_a_citizens_privacy_page_is_accessible(
    page: Any, live_server: Any, output_dir: Path, language: str, url_name: str
) -> None:
    parent = CitizenFactory.create()
    consent_give(citizen=child_of(parent), purpose="research.health", version=1)
    sign_in(page, live_server.url, parent.user)
    use_language(page, live_server.url, language)

    page.goto(reverse(url_name))

    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page, output_dir, f"a11y-{url_name.replace(':', '-')}-{language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_open_data_pages_are_accessible_on_a_phone(
    page: Any, live_server: Any, output_dir: Path, language: str
) -> None:
    DistrictFactory.create_batch(3)
    release = release_publish(dataset="household_size_by_district", epsilon=Decimal("0.5"))
    page.set_viewport_size({"width": 375, "height": 800})
    use_language(page, live_server.url, language)

    page.goto(reverse("privacy:releases"))
    assert_accessible(page, output_dir, f"a11y-privacy-releases-{language}")
    page.goto(reverse("privacy:release", args=[release.pk]))
    assert_accessible(page, output_dir, f"a11y-privacy-release-{language}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375


def test_a_citizen_gives_and_withdraws_consent_by_keyboard(page: Any, live_server: Any) -> None:
    citizen = CitizenFactory.create()
    sign_in(page, live_server.url, citizen.user)
    use_language(page, live_server.url, "en")
    page.goto(reverse("privacy:consents"))

    give = page.get_by_role("button", name="Give consent").nth(2)
    give.focus()
    page.keyboard.press("Enter")
    page.get_by_role("status").wait_for()

    assert Consent.objects.filter(citizen=citizen, withdrawn_at__isnull=True).count() == 1
    page.get_by_role("button", name="Withdraw consent").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Consent withdrawn").wait_for()
    assert not Consent.objects.filter(citizen=citizen, withdrawn_at__isnull=True).exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_receipt_after_giving_consent_is_accessible_on_a_phone(
    page: Any, live_server: Any, output_dir: Path, language: str
) -> None:
    citizen = CitizenFactory.create()
    sign_in(page, live_server.url, citizen.user)
    use_language(page, live_server.url, language)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(reverse("privacy:consents"))

    page.locator("form:has(input[value='give']) button").first.click()
    page.locator("#receipt-json").wait_for()

    assert page.locator("#receipt-heading").is_visible()
    assert_accessible(page, output_dir, f"a11y-privacy-receipt-{language}")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_receipt_downloads_as_a_json_file(page: Any, live_server: Any) -> None:
    citizen = CitizenFactory.create()
    sign_in(page, live_server.url, citizen.user)
    use_language(page, live_server.url, "en")
    page.goto(reverse("privacy:consents"))
    page.locator("form:has(input[value='give']) button").first.click()

    with page.expect_download() as started:
        page.get_by_role("link", name="Download the receipt").click()

    download = started.value
    saved = Path(download.path()).read_text(encoding="utf-8")
    assert download.suggested_filename.startswith("gorod-receipt-")
    assert json.loads(saved) == json.loads(page.locator("#receipt-json").input_value())
