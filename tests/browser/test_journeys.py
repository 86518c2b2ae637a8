"""A citizen's main journeys in headless Chromium, with screenshots under test-output/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from gorod.people.models import Citizen
from tests.browser.helpers import (
    PASSWORD,
    RIGHT_SNILS,
    WRONG_SNILS,
    fill_sign_up,
    screenshot,
    sign_in,
    submit,
)
from tests.people.factories import CitizenFactory, child_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_citizen_signs_up_past_a_wrong_snils_and_reads_the_cabinet_in_english(
    page: Any, output_dir: Path
) -> None:
    page.goto(reverse("people:sign-up"))
    fill_sign_up(page, WRONG_SNILS)
    submit(page)

    snils = page.locator("#id_snils")
    assert snils.get_attribute("aria-invalid") == "true"
    described_by = snils.get_attribute("aria-describedby").split()
    next_to_field = " ".join(page.locator(f"#{ref}").inner_text() for ref in described_by)
    assert "СНИЛС" in next_to_field
    assert "check number" not in next_to_field
    assert not Citizen.objects.exists()
    screenshot(page, output_dir, "journey-1-sign-up-wrong-snils")

    fill_sign_up(page, RIGHT_SNILS)
    submit(page)
    assert page.url.endswith(reverse("portal:cabinet"))
    with page.expect_navigation():
        page.get_by_role("button", name="Выйти").click()

    page.goto(reverse("people:sign-in"))
    page.fill("#id_username", "sokolova@example.test")
    page.fill("#id_password", PASSWORD)
    submit(page)

    assert page.url.endswith(reverse("portal:cabinet"))
    assert page.locator("h1").inner_text() == "Здравствуйте, Татьяна!"
    screenshot(page, output_dir, "journey-2-cabinet-ru")

    with page.expect_navigation():
        page.get_by_role("button", name="English").click()

    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Hello, Татьяна!"
    assert page.get_by_role("heading", name="City services").is_visible()
    screenshot(page, output_dir, "journey-3-cabinet-en")


def test_my_home_draws_the_district_and_the_building_on_the_map(
    page: Any, live_server: Any, output_dir: Path
) -> None:
    citizen = CitizenFactory.create()
    sign_in(page, live_server.url, citizen.user)

    page.goto(reverse("portal:my-home"))

    assert citizen.apartment.building.address in page.locator("main").inner_text()
    page.locator("#home-map .leaflet-overlay-pane path").nth(1).wait_for()
    assert page.locator("#home-map .leaflet-overlay-pane path").count() == 2
    assert page.locator("#home-map-figure").is_visible()
    screenshot(page, output_dir, "my-home-map")


def test_the_cabinet_fits_a_phone_screen(page: Any, live_server: Any, output_dir: Path) -> None:
    parent = CitizenFactory.create(first_name="Анна")
    child_of(parent, first_name="Олег")
    sign_in(page, live_server.url, parent.user)
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(reverse("portal:cabinet"))

    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert page.locator("h1").inner_text() == "Здравствуйте, Анна!"
    screenshot(page, output_dir, "cabinet-phone-390x844")
