"""The simulated day: deterministic for a seed, and it reports both estimators' errors."""

from __future__ import annotations

from dataclasses import replace

from gorod.queues.estimators import ESTIMATORS, NAIVE, QL
from gorod.queues.simulation import DayPlan, simulate, simulate_visits

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
