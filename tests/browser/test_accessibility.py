"""axe-core finds no serious or critical violation on the main pages, in both languages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.browser.helpers import (
    WRONG_SNILS,
    assert_accessible,
    fill_sign_up,
    sign_in,
    submit,
    use_language,
)
from tests.people.factories import CitizenFactory, child_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["ru", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("url_name", ["portal:home", "people:sign-in"])
def test_a_public_page_is_accessible(
    page: Any, live_server: Any, output_dir: Path, language: str, url_name: str
) -> None:
    use_language(page, live_server.url, language)

    page.goto(reverse(url_name))

    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page, output_dir, f"a11y-{url_name.replace(':', '-')}-{language}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_sign_up_page_with_errors_is_accessible(
    page: Any, live_server: Any, output_dir: Path, language: str
) -> None:
    use_language(page, live_server.url, language)
    page.goto(reverse("people:sign-up"))
    fill_sign_up(page, WRONG_SNILS)

    submit(page)

    assert page.locator("[aria-invalid=true]").count() > 0
    assert_accessible(page, output_dir, f"a11y-sign-up-errors-{language}")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("url_name", ["portal:cabinet", "portal:my-home"])
def test_a_cabinet_page_is_accessible(
    page: Any, live_server: Any, output_dir: Path, language: str, url_name: str
) -> None:
    parent = CitizenFactory.create()
    child_of(parent)
    sign_in(page, live_server.url, parent.user)
    use_language(page, live_server.url, language)

    page.goto(reverse(url_name))
    if url_name == "portal:my-home":
        page.locator("#home-map .leaflet-overlay-pane path").first.wait_for()

    assert page.locator("html").get_attribute("lang") == language
    assert_accessible(page, output_dir, f"a11y-{url_name.replace(':', '-')}-{language}")
