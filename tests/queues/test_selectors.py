"""Reads: office hours with the production calendar, the staffing advice, a ticket's position."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.test import override_settings
from django.utils import translation

from gorod.queues import selectors, services
from tests.queues.factories import Hall, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):
        yield


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
    services.call_next(counter=hall.two, clerk=hall.clerk, now=at(3))  # takes A-001
    position = selectors.ticket_position(ticket=mine, now=at(4))
    assert (position.ahead, position.counters, position.plan) == (1, 1, None)
    # Only counter 2 is open and it does not serve B: A-002 waits for the rest of counter
    # 2's visitor's ten-minute service (without history spread as an exponential's: its
    # median 10 ln 2 = 7 minutes, give or take one for 101 replays), not the textbook's
    # (1 + 1) * 10 / 1 = 20 minutes.
    assert position.wait_seconds is not None and 3 * 60 < position.wait_seconds < 11 * 60


def test_before_any_shift_the_estimate_assumes_every_counter_that_serves_it(hall: Hall) -> None:
    services.ticket_issue(office=hall.office, service=hall.b, now=at(0))
    mine = services.ticket_issue(office=hall.office, service=hall.b, now=at(1))
    position = selectors.ticket_position(ticket=mine, now=at(2))
    assert position.plan is not None and not position.plan.usual
    assert (position.plan.counters, position.plan.start) == ([hall.one], at(2))
    # One counter for B, one visitor ahead: the median of one ten-minute service, without
    # history spread as an exponential's, 10 ln 2 = 7 minutes.
    assert position.wait_minutes is not None and 4 <= position.wait_minutes <= 10
    assert "its 1 counter opens at 10:02" in position.basis


def history_at_counter_one(hall: Hall, *, days: int, first_call: dt.time) -> None:
    """Past days when only counter 1 worked, its first call at ``first_call``."""
    zone = at(0).tzinfo
    for back in range(1, days + 1):
        day = MONDAY - dt.timedelta(days=back)
        opening = dt.datetime.combine(day, dt.time(9), tzinfo=zone)
        services.ticket_issue(office=hall.office, service=hall.a, now=opening)
        services.ticket_issue(office=hall.office, service=hall.a, now=opening)
        called = dt.datetime.combine(day, first_call, tzinfo=zone)
        for _ in range(2):
            ticket = services.call_next(counter=hall.one, clerk=hall.clerk, now=called)
            assert ticket is not None
            called += dt.timedelta(minutes=20)
            services.ticket_finish(ticket=ticket, counter=hall.one, clerk=hall.clerk, now=called)
        services.shift_close(counter=hall.one, clerk=hall.clerk, now=called)


def test_before_the_shifts_open_the_estimate_assumes_the_usual_counters(hall: Hall) -> None:
    history_at_counter_one(hall, days=5, first_call=dt.time(9, 30))
    hall.office.opening_hours = HOURS
    hall.office.save()
    zone = at(0).tzinfo
    mine = services.ticket_issue(
        office=hall.office, service=hall.a, now=dt.datetime.combine(MONDAY, dt.time(9), zone)
    )
    position = selectors.ticket_position(
        ticket=mine, now=dt.datetime.combine(MONDAY, dt.time(9, 5), zone)
    )
    assert position.plan is not None and position.plan.usual
    assert position.plan.counters == [hall.one]  # counter 2 never worked at nine
    assert position.plan.start == dt.datetime.combine(MONDAY, dt.time(9, 30), zone)
    assert position.wait_minutes == 25  # nobody ahead: called when the first counter opens
    assert "assumes 1 counter from 09:30, as on past days" in position.basis


def test_no_estimate_when_no_counter_serves_the_service(hall: Hall) -> None:
    hall.one.services.remove(hall.b)
    mine = services.ticket_issue(office=hall.office, service=hall.b, now=at(0))
    position = selectors.ticket_position(ticket=mine, now=at(1))
    assert position.wait_seconds is None and position.plan is None
    assert position.reason == "No counter of this office serves this service."


def test_no_estimate_when_the_office_does_not_open_again_today(hall: Hall) -> None:
    hall.office.opening_hours = HOURS
    hall.office.save()
    zone = at(0).tzinfo
    mine = services.ticket_issue(
        office=hall.office, service=hall.a, now=dt.datetime.combine(MONDAY, dt.time(17, 50), zone)
    )
    position = selectors.ticket_position(
        ticket=mine, now=dt.datetime.combine(MONDAY, dt.time(18, 5), zone)
    )
    assert position.wait_seconds is None
    assert position.reason == "The office does not open again today."


@override_settings(GOROD_QUEUES_ESTIMATOR="les")
def test_les_tells_the_last_visitor_s_wait_less_what_was_waited(hall: Hall) -> None:
    first = services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    services.ticket_issue(office=hall.office, service=hall.a, now=at(1))
    mine = services.ticket_issue(office=hall.office, service=hall.a, now=at(2))
    called = services.call_next(counter=hall.two, clerk=hall.clerk, now=at(12))
    assert called is not None and called.pk == first.pk  # waited 12 minutes
    position = selectors.ticket_position(ticket=mine, now=at(12))  # mine has waited 10
    assert position.wait_seconds == pytest.approx((12 - 10) * 60)
