"""The fair call rule: booked by appointment once due, walk-ins by waiting, bounded priority."""

from __future__ import annotations

import datetime as dt

from gorod.queues.calling import Waiting, ahead_of, call_order

NINE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HEAD_START = dt.timedelta(minutes=30)


def at(minutes: float) -> dt.datetime:
    return NINE + dt.timedelta(minutes=minutes)


def walk_in(key: int, minutes: float, *, service: int = 1, priority: bool = False) -> Waiting:
    return Waiting(key=key, service=service, issued_at=at(minutes), priority=priority, number=key)


def booked(key: int, arrived: float, appointment: float, *, service: int = 1) -> Waiting:
    return Waiting(
        key=key, service=service, issued_at=at(arrived), appointment_at=at(appointment), number=key
    )


def keys(tickets: list[Waiting]) -> list[int]:
    return [t.key for t in tickets]


def test_walk_ins_are_called_by_waiting_time() -> None:
    tickets = [walk_in(2, 5), walk_in(1, 0), walk_in(3, 9)]
    order = call_order(tickets, services=[1], now=at(10), priority_head_start=HEAD_START)
    assert keys(order) == [1, 2, 3]


def test_a_booked_visitor_is_called_at_their_time_before_later_walk_ins() -> None:
    tickets = [walk_in(1, 0), booked(2, -10, 10), walk_in(3, 12)]
    order = call_order(tickets, services=[1], now=at(15), priority_head_start=HEAD_START)
    assert keys(order) == [1, 2, 3]


def test_an_early_booked_visitor_waits_behind_everyone_due() -> None:
    tickets = [booked(1, 0, 30), walk_in(2, 5)]
    order = call_order(tickets, services=[1], now=at(10), priority_head_start=HEAD_START)
    assert keys(order) == [2, 1]


def test_an_early_booked_visitor_is_served_rather_than_leave_a_counter_idle() -> None:
    order = call_order([booked(1, 0, 30)], services=[1], now=at(10), priority_head_start=HEAD_START)
    assert keys(order) == [1]


def test_a_late_booked_visitor_queues_from_their_arrival() -> None:
    tickets = [booked(1, 40, 10), walk_in(2, 20), walk_in(3, 45)]
    order = call_order(tickets, services=[1], now=at(50), priority_head_start=HEAD_START)
    assert keys(order) == [2, 1, 3]


def test_priority_goes_first_within_its_head_start() -> None:
    tickets = [walk_in(1, 0), walk_in(2, 20, priority=True)]
    order = call_order(tickets, services=[1], now=at(25), priority_head_start=HEAD_START)
    assert keys(order) == [2, 1]


def test_priority_does_not_overtake_someone_waiting_longer_than_the_head_start() -> None:
    tickets = [walk_in(1, 0), walk_in(2, 40, priority=True)]
    order = call_order(tickets, services=[1], now=at(45), priority_head_start=HEAD_START)
    assert keys(order) == [1, 2]


def test_a_counter_calls_only_its_services() -> None:
    tickets = [walk_in(1, 0, service=2), walk_in(2, 5, service=1)]
    order = call_order(tickets, services=[1], now=at(10), priority_head_start=HEAD_START)
    assert keys(order) == [2]


def test_position_counts_those_ahead_for_the_same_counters() -> None:
    tickets = [walk_in(1, 0), walk_in(2, 3, service=2), walk_in(3, 5), walk_in(4, 8)]
    assert ahead_of(tickets[3], tickets, services=[1], priority_head_start=HEAD_START) == 2
    assert ahead_of(tickets[3], tickets, services=[1, 2], priority_head_start=HEAD_START) == 3
