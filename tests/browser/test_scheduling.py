"""Booking a visit in a real browser: service → office → day → time → confirm, for a child;
each step screenshotted and free of serious axe-core violations, in Russian and English."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gorod.scheduling.models import Booking
from tests.browser.helpers import assert_accessible, sign_in, use_language
from tests.people.factories import CitizenFactory, OfficialFactory, account, child_of
from tests.scheduling.factories import ServiceFactory, counter, slots_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_parent_books_a_visit_for_a_child(
    page: Any, live_server: Any, output_dir: Path, language: str
) -> None:
    service = ServiceFactory.create(name="Выдача повторного свидетельства")
    desk = counter(service=service)
    slots_for(desk, days=2)
    parent = CitizenFactory.create()
    child = child_of(parent)
    sign_in(page, live_server.url, account(parent))
    use_language(page, live_server.url, language)
    shot = f"scheduling-{language}"

    page.goto("/scheduling/")
    assert_accessible(page, output_dir, f"{shot}-1-bookings-empty")
    page.locator("main a.button").click()
    assert_accessible(page, output_dir, f"{shot}-2-services")
    page.get_by_role("link", name=service.name).click()
    assert_accessible(page, output_dir, f"{shot}-3-offices")
    page.get_by_role("link", name=desk.institution.name).click()
    assert_accessible(page, output_dir, f"{shot}-4-days")
    page.locator("a.day").first.click()
    assert_accessible(page, output_dir, f"{shot}-5-times")
    page.locator(".slot-grid label").nth(3).click()
    page.locator("select[name=citizen_id]").select_option(str(child.pk))
    page.locator("form.slot-form button[type=submit]").click()
    assert_accessible(page, output_dir, f"{shot}-6-held")
    page.locator("form[action$='/confirm/'] button").click()
    assert_accessible(page, output_dir, f"{shot}-7-booked")

    booking = Booking.objects.get()
    assert (booking.citizen, booking.status) == (child, "booked")
    assert page.locator("figure.check-in svg").count() == 1
    page.goto("/scheduling/")
    assert booking.code in page.locator("main").inner_text()
    assert_accessible(page, output_dir, f"{shot}-8-bookings")


def test_a_clerks_appointments_page_is_accessible(
    page: Any, live_server: Any, output_dir: Path
) -> None:
    service = ServiceFactory.create(name="Государственная регистрация рождения")
    desk = counter(service=service)
    slot = slots_for(desk)[2]
    parent = CitizenFactory.create()
    Booking.objects.create(
        slot=slot, citizen=parent, service=service, status="booked", code="K7M2QX"
    )
    clerk = OfficialFactory.create(institution=desk.institution)
    sign_in(page, live_server.url, clerk.user)

    page.goto(f"/scheduling/office/?day={slot.start.astimezone().date().isoformat()}")
    assert "K7M2QX" in page.locator("main").inner_text()
    assert_accessible(page, output_dir, "scheduling-office-day")
