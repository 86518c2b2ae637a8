"""The log's pages in a real browser: no serious axe-core violation, both languages, a phone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gorod.ledger import services
from tests.browser.helpers import assert_accessible, sign_in, use_language
from tests.ledger.factories import log_filled, official_read, signed_receipt
from tests.people.factories import CitizenFactory, OfficialFactory, child_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["ru", "en"]


def _history() -> Any:
    parent = CitizenFactory.create()
    doctor = OfficialFactory.create(role="doctor", user__display_name="Врач Смирнова")
    official_read(doctor, parent, purpose="приём терапевта")
    official_read(doctor, child_of(parent), purpose="осмотр перед садом")
    log_filled(5)
    services.tree_head_sign()
    return parent


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", ["/log/", "/log/entries/1/", "/log/receipts/verify/"])
def test_a_public_log_page_is_accessible(
    page: Any, live_server: Any, output_dir: Path, language: str, path: str
) -> None:
    _history()
    use_language(page, live_server.url, language)
    page.goto(path)
    assert page.locator("html").get_attribute("lang") == language
    name = path.strip("/").replace("/", "-")
    assert_accessible(page, output_dir, f"a11y-{name}-{language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_who_accessed_my_data_is_accessible_on_a_phone(
    page: Any, live_server: Any, output_dir: Path, language: str
) -> None:
    parent = _history()
    sign_in(page, live_server.url, parent.user)
    use_language(page, live_server.url, language)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/log/my-access/")
    assert page.get_by_text("осмотр перед садом").is_visible()
    assert_accessible(page, output_dir, f"a11y-my-access-phone-{language}")


def test_checking_a_receipt_answers_in_place(page: Any, live_server: Any, output_dir: Path) -> None:
    receipt = json.dumps(signed_receipt())
    use_language(page, live_server.url, "en")
    page.goto("/log/receipts/verify/")
    page.get_by_label("Receipt").fill(receipt)
    page.get_by_role("button", name="Check the receipt").click()
    page.locator("#receipt-result .result-verified").wait_for()
    assert page.url.endswith("/log/receipts/verify/")
    page.get_by_label("Receipt").fill("{broken")
    page.get_by_role("button", name="Check the receipt").click()
    page.locator("#id_receipt[aria-invalid=true]").wait_for()
    assert_accessible(page, output_dir, "a11y-receipt-error-en")
