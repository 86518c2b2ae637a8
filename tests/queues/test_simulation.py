"""The simulated day: deterministic for a seed, with priority visitors, and it reports both
estimators' errors (over all walk-ins, and over those with and without a priority)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gorod.queues.estimators import ESTIMATORS, LES, NAIVE, QL
from gorod.queues.simulation import DayPlan, Visit, simulate, simulate_visits

PLAN = DayPlan(
    open_spans=[(540, 780), (825, 1080)],
    rates=dict.fromkeys(range(9, 18), 14.0),
    mix={1: 3, 2: 1},
    service_minutes={1: 10, 2: 20},
    counters={1: frozenset({1, 2}), 2: frozenset({1}), 3: frozenset({1, 2})},
    appointments=[(600 + 20 * i, 2) for i in range(12)],
    counter_pace={1: 0.9, 3: 1.2},
)


def test_a_day_is_the_same_for_the_same_seed() -> None:
    assert simulate(PLAN, seed=7) == simulate(PLAN, seed=7)
    assert simulate(PLAN, seed=7) != simulate(PLAN, seed=8)


def test_the_report_has_both_errors_and_picks_the_smaller() -> None:
    report = simulate(PLAN, seed=1)
    assert report.arrivals == report.served + report.no_shows
    assert report.served > 50
    errors = report.mae_minutes
    assert set(errors) == {*ESTIMATORS, NAIVE}
    assert all(e is not None and e >= 0 for e in errors.values())
    assert errors[report.better] == min(e for m in ESTIMATORS if (e := errors[m]) is not None)


def test_ql_errs_clearly_less_than_the_naive_baseline() -> None:
    reports = [simulate(PLAN, seed=seed) for seed in range(5)]
    mean = {m: sum(r.mae_minutes[m] or 0 for r in reports) / 5 for m in (QL, NAIVE)}
    assert mean[QL] < 0.6 * mean[NAIVE]


def test_predictions_use_only_what_was_known_at_arrival() -> None:
    """The day's waits and services do not depend on the estimators: a day with
    predictions and one without are the same visits."""
    with_predictions = simulate_visits(PLAN, seed=4)
    without = simulate_visits(PLAN, seed=4, predicting=False)
    assert [replace(v, predicted={}) for v in with_predictions] == without


def test_an_empty_day_serves_nobody() -> None:
    quiet = DayPlan(
        open_spans=[(540, 600)],
        rates={},
        mix={1: 1},
        service_minutes={1: 10},
        counters={1: frozenset({1})},
    )
    report = simulate(quiet, seed=1)
    assert (report.arrivals, report.served, report.mae_minutes["ql"]) == (0, 0, None)


BUSY = replace(PLAN, priority_share=0.2)
# What QL is told to expect: the day's own priority visitors per hour and service.
EXPECTED = {
    hour: {s: rate * 0.2 * weight / sum(PLAN.mix.values()) for s, weight in PLAN.mix.items()}
    for hour, rate in PLAN.rates.items()
}


def test_priority_walk_ins_come_and_go_ahead() -> None:
    visits = simulate_visits(BUSY, seed=2)
    priority = [v for v in visits if v.priority]
    assert priority and all(not v.booked for v in priority)
    assert any(
        p.called is not None
        and o.called is not None
        and o.arrived < p.arrived < p.called < o.called
        for p in priority
        for o in visits
        if not o.priority and not o.booked and o.service == p.service
    )


def walk_ins(visits: list[Visit], *, priority: bool) -> list[Visit]:
    return [v for v in visits if not v.booked and v.priority == priority]


def test_ql_expects_the_priority_visitors_to_come() -> None:
    unaware = simulate_visits(BUSY, seed=3)
    told = simulate_visits(replace(BUSY, priority_rates=EXPECTED), seed=3)
    assert [replace(v, predicted={}) for v in told] == [replace(v, predicted={}) for v in unaware]
    # Later priority visitors go ahead of walk-ins without a priority, never of one with it.
    regular = list(
        zip(walk_ins(told, priority=False), walk_ins(unaware, priority=False), strict=True)
    )
    assert sum(a.predicted[QL] for a, _ in regular) > sum(b.predicted[QL] for _, b in regular)
    for a, b in zip(walk_ins(told, priority=True), walk_ins(unaware, priority=True), strict=True):
        assert a.predicted == b.predicted
    for a, b in regular:
        assert (a.predicted[LES], a.predicted[NAIVE]) == (b.predicted[LES], b.predicted[NAIVE])


def test_the_errors_are_reported_with_and_without_a_priority() -> None:
    report = simulate(BUSY, seed=1)
    assert report.priority_walk_ins > 5
    for errors in (report.mae_minutes_regular, report.mae_minutes_priority):
        assert set(errors) == {*ESTIMATORS, NAIVE}
        assert all(e is not None and e >= 0 for e in errors.values())
    # The overall error is the mean of the two groups', weighed by their walk-ins.
    regular = sum(
        1
        for v in simulate_visits(BUSY, seed=1)
        if not v.booked and not v.priority and v.waited is not None
    )
    total = report.mae_minutes[QL] or 0
    weighed = (
        (report.mae_minutes_regular[QL] or 0) * regular
        + (report.mae_minutes_priority[QL] or 0) * report.priority_walk_ins
    ) / (regular + report.priority_walk_ins)
    assert total == pytest.approx(weighed)
