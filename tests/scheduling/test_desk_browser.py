"""The desk in a real browser: a registry clerk finds a visitor by SNILS, books them a time,
confirms a citizen's hold and cancels the booking for a reason; each page screenshotted
(``desk-*.png``, also copied to the temporary directory) and free of serious axe-core violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gorod.people.snils import format_snils
from gorod.scheduling import services
from gorod.scheduling.models import Booking, Slot
from tests.browser.helpers import assert_accessible, sign_in
from tests.people.factories import CitizenFactory, OfficialFactory, account
from tests.scheduling.factories import ServiceFactory, counter, slots_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_books_a_visitor_at_the_desk_and_cancels(
    page: Any, live_server: Any, output_dir: Path
) -> None:
    service = ServiceFactory.create(name="Выдача повторного свидетельства о рождении")
    window = counter(service=service)
    slots = slots_for(window, days=2)
    visitor = CitizenFactory.create(last_name="Смирнова", first_name="Ольга")
    caller = CitizenFactory.create(last_name="Кузнецов", first_name="Андрей", patronymic="Ильич")
    hold = services.booking_hold(
        slot=slots[0], citizen=caller, service=service, by_user=account(caller)
    )
    clerk = OfficialFactory.create(institution=window.institution, user__display_name="Орлова Н.")
    sign_in(page, live_server.url, clerk.user)

    page.goto("/scheduling/office/")
    page.locator("main a.button").click()
    page.fill("#id_snils", "112-233-445 95")
    page.locator("form.visitor-find button[type=submit]").click()
    assert page.locator("main [role=alert]").count() == 1
    assert_accessible(page, output_dir, "desk-1-not-found")

    page.fill("#id_snils", format_snils(visitor.snils))
    page.locator("form.visitor-find button[type=submit]").click()
    assert visitor.full_name in page.locator("dd.visitor").inner_text()
    assert_accessible(page, output_dir, "desk-2-visitor")
    page.get_by_role("link", name=service.name).click()
    page.locator("a.day").first.click()
    page.locator(".slot-grid label").nth(3).click()
    assert_accessible(page, output_dir, "desk-3-time")
    page.locator("form.slot-form button[type=submit]").click()

    booking = Booking.objects.get(citizen=visitor)
    assert (booking.status, booking.booked_by_id, booking.slot_id) == (
        "booked",
        clerk.user.pk,
        slots[4].pk,  # the fourth free time: the first is held
    )
    row = page.locator(f"#booking-{booking.pk}")
    assert booking.code in page.locator("main .messages").inner_text()
    assert "Орлова Н." in row.locator(".booked-by").inner_text()
    assert_accessible(page, output_dir, "desk-4-booked")

    page.locator(f"#booking-{hold.pk} .row-actions button").click()
    hold.refresh_from_db()
    assert hold.status == "booked"
    assert page.locator(f"#booking-{hold.pk} .row-actions button").count() == 0

    row.locator(".row-actions a").click()
    assert_accessible(page, output_dir, "desk-5-cancel")
    page.fill("#id_reason", "Посетитель перезвонил и попросил отменить")
    page.locator("main form button[type=submit]").click()
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_reason) == (
        "cancelled",
        "Посетитель перезвонил и попросил отменить",
    )
    assert Slot.objects.get(pk=slots[4].pk).status == "free"
    assert "перезвонил" in page.locator(f"#booking-{booking.pk}").inner_text()
    assert "Орлова Н." in page.locator(f"#booking-{booking.pk} .cancelled-by").inner_text()
    assert_accessible(page, output_dir, "desk-6-cancelled")
