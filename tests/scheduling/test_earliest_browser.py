"""The first available time in a real browser: a parent chooses a service and an office,
takes the earliest free time for a child with one button, lands on the booking's page and
confirms it; when nothing is free, the day step says so. Each page screenshotted
(``earliest-*.png``, also copied to the temporary directory) and free of serious axe-core
violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gorod.scheduling import services
from gorod.scheduling.models import Booking
from tests.browser.helpers import assert_accessible, sign_in
from tests.people.factories import CitizenFactory, account, child_of
from tests.scheduling.factories import ServiceFactory, counter, slots_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_parent_takes_the_first_available_time_for_a_child(
    page: Any, live_server: Any, output_dir: Path
) -> None:
    service = ServiceFactory.create(name="Выдача повторного свидетельства о рождении")
    window = counter(service=service)
    slots = slots_for(window, days=2)
    parent = CitizenFactory.create()
    child = child_of(parent, first_name="Маша")
    neighbour = CitizenFactory.create()
    services.booking_hold(
        slot=slots[0], citizen=neighbour, service=service, by_user=account(neighbour)
    )
    sign_in(page, live_server.url, account(parent))

    page.goto("/scheduling/book/")
    page.get_by_role("link", name=service.name).click()
    page.get_by_role("link", name=window.institution.name).click()
    page.locator("#citizen-earliest").select_option(str(child.pk))
    assert_accessible(page, output_dir, "earliest-1-day-step")
    page.get_by_role("button", name="Ближайшее свободное время").click()

    booking = Booking.objects.get(citizen=child)
    assert (booking.status, booking.slot_id) == ("pending", slots[1].pk)  # the first is held
    assert page.url.endswith(f"/scheduling/bookings/{booking.pk}/")
    assert "Первое свободное время удержано" in page.locator("main .messages").inner_text()
    assert_accessible(page, output_dir, "earliest-2-held")
    page.locator("form[action$='/confirm/'] button").click()
    booking.refresh_from_db()
    assert booking.status == "booked"
    assert page.locator("figure.check-in svg").count() == 1
    assert_accessible(page, output_dir, "earliest-3-booked")


def test_nothing_free_is_said_on_the_day_step(
    page: Any, live_server: Any, output_dir: Path
) -> None:
    service = ServiceFactory.create(name="Государственная регистрация рождения")
    window = counter(service=service)  # open, but no slots made
    citizen = CitizenFactory.create()
    sign_in(page, live_server.url, account(citizen))

    page.goto(f"/scheduling/book/?service={service.pk}&institution={window.institution_id}")
    page.get_by_role("button", name="Ближайшее свободное время").click()
    assert "Свободного времени для этой услуги здесь нет" in page.locator("main").inner_text()
    assert page.get_by_role("button", name="Ближайшее свободное время").count() == 1
    assert not Booking.objects.exists()
    assert_accessible(page, output_dir, "earliest-4-nothing-free")
