"""Reads: office hours with the production calendar, the staffing advice, a ticket's position."""

from __future__ import annotations

import datetime as dt

import pytest

from gorod.queues import selectors, services
from tests.queues.factories import Hall, at

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 4, 13)
WORKDAY = [["09:00", "13:00"], ["13:45", "18:00"]]
HOURS = {"mon": WORKDAY, "thu": WORKDAY, "sat": [["10:00", "16:00"]]}


def test_hours_follow_the_production_calendar(hall: Hall) -> None:
    hall.office.opening_hours = HOURS
    assert selectors.office_hours_on(office=hall.office, day=MONDAY) == [
        (dt.time(9), dt.time(13)),
        (dt.time(13, 45), dt.time(18)),
    ]
    assert selectors.office_hours_on(office=hall.office, day=dt.date(2026, 5, 11)) == []
    # Thursday 30 April, before the 1 May holiday, is a shortened day: an hour off the end.
    assert selectors.office_hours_on(office=hall.office, day=dt.date(2026, 4, 30)) == [
        (dt.time(9), dt.time(13)),
        (dt.time(13, 45), dt.time(17)),
    ]


def test_staffing_advice_counts_quiet_days_and_asks_for_counters(hall: Hall) -> None:
    hall.office.opening_hours = HOURS
    hall.office.save()
    busy_monday = MONDAY - dt.timedelta(days=7)
    first_monday = MONDAY - dt.timedelta(days=28)  # the first day on record: one visitor at 15
    services.ticket_issue(
        office=hall.office,
        service=hall.b,
        now=dt.datetime.combine(first_monday, dt.time(15), tzinfo=at(0).tzinfo),
    )
    for minute in range(0, 60, 3):  # 20 visitors between 10:00 and 11:00
        services.ticket_issue(
            office=hall.office,
            service=hall.a,
            now=dt.datetime.combine(busy_monday, dt.time(10, minute), tzinfo=at(0).tzinfo),
        )
    advice = {a.hour: a for a in selectors.staffing_advice(office=hall.office, day=MONDAY)}
    assert sorted(advice) == list(range(9, 18))
    # Four open Mondays since the first day on record, one with 20 arrivals at 10: shrunk
    # towards the hour's mean over the 12 open days (Mondays, Thursdays, Saturdays).
    expected = (20 + 2 * 20 / 12) / (4 + 2)
    assert advice[10].arrivals == pytest.approx(expected)
    assert advice[10].needed >= 1 and advice[11].needed == 0
    assert advice[10].staffed == 0


def test_a_ticket_counts_who_is_ahead_for_its_counters(hall: Hall) -> None:
    services.ticket_issue(office=hall.office, service=hall.b, now=at(0))
    services.ticket_issue(office=hall.office, service=hall.a, now=at(1))
    mine = services.ticket_issue(office=hall.office, service=hall.a, now=at(2))
    position = selectors.ticket_position(ticket=mine, now=at(3))
    assert (position.ahead, position.counters, position.wait_minutes) == (2, 0, None)
