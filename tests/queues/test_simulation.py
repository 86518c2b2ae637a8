"""The simulated day: deterministic for a seed, and it reports both estimators' errors."""

from __future__ import annotations

from gorod.queues.estimators import ESTIMATORS
from gorod.queues.simulation import DayPlan, simulate

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
    assert set(errors) == set(ESTIMATORS)
    assert all(e is not None and e >= 0 for e in errors.values())
    assert errors[report.better] == min(e for e in errors.values() if e is not None)


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
