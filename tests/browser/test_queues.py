"""The electronic queue in a real browser: a visitor takes a ticket at the kiosk and follows
it, a clerk calls them, the hall board shows it; axe-core finds no serious violation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from gorod.places.hours import WEEKDAYS
from gorod.queues import services
from gorod.queues.models import Ticket
from tests.browser.helpers import assert_accessible, sign_in, use_language
from tests.queues.factories import Hall, clerk_of, hall_create, holidays_clear

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hall(transactional_db: None) -> Hall:
    holidays_clear()
    return hall_create()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_visitor_takes_a_ticket_at_the_kiosk(
    page: Any, live_server: Any, output_dir: Path, hall: Hall, language: str
) -> None:
    use_language(page, live_server.url, language)
    page.goto("/queues/")
    assert_accessible(page, output_dir, f"queues-offices-{language}")
    page.goto(f"/queues/{hall.office.pk}/kiosk/")
    assert_accessible(page, output_dir, f"queues-kiosk-{language}")
    with page.expect_navigation():
        page.get_by_role("button", name="Регистрация рождения").click()
    assert page.locator(".ticket-slip .number").inner_text() == "A-001"
    assert page.locator(".qr svg").count() == 1
    assert_accessible(page, output_dir, f"queues-ticket-{language}")


def test_the_ticket_page_follows_the_call(
    page: Any, live_server: Any, output_dir: Path, hall: Hall
) -> None:
    services.ticket_issue(office=hall.office, service=hall.a)
    mine = services.ticket_issue(office=hall.office, service=hall.a, priority="")
    page.set_viewport_size({"width": 375, "height": 800})  # the visitor's phone
    page.goto(f"/queues/ticket/{mine.token}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert_accessible(page, output_dir, "queues-ticket-phone")
    assert "1" in page.locator(".ticket-status .big").inner_text()
    services.call_next(counter=hall.one, clerk=hall.clerk)
    services.call_next(counter=hall.two, clerk=hall.other_clerk)
    # The status fragment is polled every 10 s; wait for it to say which counter.
    page.locator(".status-called").wait_for(timeout=25_000)
    assert "2" in page.locator(".status-called").inner_text()
    assert_accessible(page, output_dir, "queues-ticket-called")


def test_a_clerk_calls_and_finishes_at_the_counter(
    page: Any, live_server: Any, output_dir: Path, hall: Hall
) -> None:
    services.ticket_issue(office=hall.office, service=hall.a)
    services.ticket_issue(office=hall.office, service=hall.b, priority="pregnant")
    sign_in(page, live_server.url, hall.clerk.user)
    page.goto("/queues/counters/")
    assert_accessible(page, output_dir, "queues-counters")
    page.get_by_role("link", name="Окно 1").click()
    assert_accessible(page, output_dir, "queues-counter-idle")
    with page.expect_navigation():
        page.get_by_role("button", name="Вызвать следующего").click()
    assert page.locator(".counter-current .number").inner_text() == "B-001"
    assert_accessible(page, output_dir, "queues-counter-serving")
    with page.expect_navigation():
        page.get_by_role("button", name="Посетитель подошёл").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Завершить").click()
    assert Ticket.objects.filter(status=Ticket.Status.DONE).count() == 1


def test_the_board_is_readable_from_the_hall(
    page: Any, live_server: Any, output_dir: Path, hall: Hall
) -> None:
    for _ in range(3):
        services.ticket_issue(office=hall.office, service=hall.a)
    services.call_next(counter=hall.one, clerk=hall.clerk)
    services.call_next(counter=hall.two, clerk=hall.other_clerk)
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(f"/queues/{hall.office.pk}/board/")
    rows = page.locator(".board-table tbody tr")
    assert rows.count() == 2
    assert_accessible(page, output_dir, "queues-board")


def test_the_office_head_sees_figures_and_staffing(
    page: Any, live_server: Any, output_dir: Path, hall: Hall
) -> None:
    hall.office.opening_hours = {d: [["09:00", "18:00"]] for d in WEEKDAYS}
    hall.office.save()
    week_ago = timezone.localtime() - dt.timedelta(days=7)
    for minute in range(0, 60, 2):
        services.ticket_issue(
            office=hall.office,
            service=hall.a,
            now=week_ago.replace(hour=11, minute=minute, second=0, microsecond=0),
        )
    head = clerk_of(hall.office, role="office_head")
    sign_in(page, live_server.url, head.user)
    page.goto("/queues/my-office/")
    row = page.locator("tbody tr", has=page.locator("th", has_text="11:00"))
    assert int(row.locator("td").nth(1).inner_text()) >= 1
    assert_accessible(page, output_dir, "queues-figures")
