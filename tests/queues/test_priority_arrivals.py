"""Priority visitors still to come: their rates learned from the office's last weeks, and
the wait shown on a ticket page that expects them."""

from __future__ import annotations

import datetime as dt

import pytest

from gorod.queues import selectors, services
from gorod.queues.models import Ticket
from tests.queues.factories import MOSCOW, Hall, at, holidays_clear

pytestmark = pytest.mark.django_db

MONDAY = at(0).date()


def past_visits(hall: Hall, *, back: int, at_hour: list[tuple[str, str, int]]) -> None:
    """Tickets ``back`` days before the test Monday: (service letter, priority, minutes
    after 10:00) each, cancelled: history to learn from, no visits."""
    day = MONDAY - dt.timedelta(days=back)
    Ticket.objects.bulk_create(
        Ticket(
            office=hall.office,
            service=hall.a if letter == "A" else hall.b,
            day=day,
            letter=letter,
            number=number,
            priority=priority,
            status=Ticket.Status.CANCELLED,
            issued_at=dt.datetime.combine(day, dt.time(10), tzinfo=MOSCOW)
            + dt.timedelta(minutes=minute),
        )
        for number, (letter, priority, minute) in enumerate(at_hour, start=1)
    )


def four_weeks(hall: Hall, *, daily: list[tuple[str, str, int]]) -> None:
    """The ``daily`` tickets (see ``past_visits``) on each of the last 28 days, every day
    open, one more for A on Mondays; and a priority visitor five weeks ago, too old."""
    holidays_clear()
    for back in range(1, 29):
        monday = [("A", "", 30)] if back % 7 == 0 else []
        past_visits(hall, back=back, at_hour=daily + monday)
    past_visits(hall, back=35, at_hour=[("A", "disabled", 120)])


def test_the_rate_is_the_hour_s_visitors_times_the_share_with_a_priority(hall: Hall) -> None:
    four_weeks(hall, daily=[("A", "veteran", 5), ("A", "", 10), ("B", "", 15)])
    booked = MONDAY - dt.timedelta(days=3)
    Ticket.objects.create(  # booked visitors come at their appointments: not counted
        office=hall.office,
        service=hall.b,
        day=booked,
        letter="B",
        number=9,
        kind=Ticket.Kind.BOOKED,
        appointment_at=dt.datetime.combine(booked, dt.time(10, 40), tzinfo=MOSCOW),
        priority="pregnant",
        status=Ticket.Status.CANCELLED,
        issued_at=dt.datetime.combine(booked, dt.time(10, 35), tzinfo=MOSCOW),
    )
    rates = selectors.priority_rates(office=hall.office, day=MONDAY)
    assert set(rates) == {10}  # the ticket five weeks ago is not read
    # 88 walk-ins at ten over 28 open days, 16 of them on the 4 Mondays: shrunk by 2
    # pseudo-days towards the hour's mean. 28 of the 88 had a priority, all for A; the
    # services' shares of them shrunk by 5 pseudo-visitors towards their shares of all.
    visitors = (16 + 2 * 88 / 28) / (4 + 2)
    share_a = (28 + 5 * 60 / 88) / (28 + 5)
    share_b = (0 + 5 * 28 / 88) / (28 + 5)
    assert rates[10][hall.a.pk] == pytest.approx(visitors * 28 / 88 * share_a)
    assert rates[10][hall.b.pk] == pytest.approx(visitors * 28 / 88 * share_b)


def test_without_priority_visitors_none_is_expected(hall: Hall) -> None:
    holidays_clear()
    for back in range(1, 8):
        past_visits(hall, back=back, at_hour=[("A", "", 5), ("B", "", 10)])
    assert selectors.priority_rates(office=hall.office, day=MONDAY) == {}


def test_only_the_hours_the_office_is_open_that_day(hall: Hall) -> None:
    four_weeks(hall, daily=[("A", "veteran", 5), ("A", "", 10), ("B", "", 15)])
    assert set(selectors.priority_rates(office=hall.office, day=MONDAY)) == {10}
    hall.office.opening_hours = {"mon": [["11:00", "18:00"]]}
    hall.office.save()
    assert selectors.priority_rates(office=hall.office, day=MONDAY) == {}


def busy_line(hall: Hall) -> tuple[Ticket, Ticket]:
    """Counter 1 (the only one open) busy since 10:00; a walk-in for B and a priority
    visitor for B take tickets at 10:01."""
    services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    services.call_next(counter=hall.one, clerk=hall.clerk, now=at(0))
    walk_in = services.ticket_issue(office=hall.office, service=hall.b, now=at(1))
    veteran = services.ticket_issue(
        office=hall.office, service=hall.b, priority="veteran", now=at(1)
    )
    return walk_in, veteran


def test_a_walk_in_is_told_of_the_priority_visitors_likely_to_come(hall: Hall) -> None:
    # About three priority visitors for B between ten and eleven on an average day.
    priority_for_b = [("B", "veteran", 5), ("B", "pregnant", 20), ("B", "disabled", 40)]
    four_weeks(hall, daily=[*priority_for_b, ("A", "", 10), ("B", "", 15)])
    walk_in, veteran = busy_line(hall)
    told = {
        (ticket.pk, minute): selectors.ticket_position(ticket=ticket, now=at(minute)).wait_seconds
        for ticket in (walk_in, veteran)
        for minute in (2, 32)
    }
    Ticket.objects.filter(day__lt=MONDAY).update(priority="")
    assert selectors.priority_rates(office=hall.office, day=MONDAY) == {}
    unaware = {
        (ticket.pk, minute): selectors.ticket_position(ticket=ticket, now=at(minute)).wait_seconds
        for ticket in (walk_in, veteran)
        for minute in (2, 32)
    }
    assert (told[(walk_in.pk, 2)] or 0) > (unaware[(walk_in.pk, 2)] or 0) > 0
    # Nobody who comes later goes ahead of a priority visitor already there, nor of a
    # walk-in who has waited the head start (30 minutes): their estimates do not change.
    for key in ((veteran.pk, 2), (veteran.pk, 32), (walk_in.pk, 32)):
        assert told[key] == unaware[key] and told[key] is not None
