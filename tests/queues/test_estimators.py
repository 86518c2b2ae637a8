"""QL (the queue replayed, with the priority visitors expected to come), LES, the naive
baseline and service times learned from history."""

from __future__ import annotations

import math
import random

import pytest

from gorod.queues.estimators import (
    Arrivals,
    Desk,
    ServiceSample,
    ServiceTimes,
    les_estimate,
    mean_absolute_error,
    naive_estimate,
    ql_estimate,
)

ONE = frozenset({1})
TWO = frozenset({2})
BOTH = frozenset({1, 2})


def steady(**means: float) -> ServiceTimes:
    """Service times that hardly vary: service ``s1`` takes ``means["s1"]`` seconds."""
    priors = {int(name[1:]): seconds for name, seconds in means.items()}
    times = ServiceTimes.learn([], prior=600, priors=priors)
    times.cv2 = 1e-6
    return times


def test_a_free_counter_and_nobody_ahead_is_no_wait() -> None:
    assert ql_estimate(ahead=[], service=1, desks=[Desk(1, ONE)], times=steady(s1=600)) == 0


def test_without_a_counter_for_the_service_there_is_no_estimate() -> None:
    assert ql_estimate(ahead=[], service=2, desks=[Desk(1, ONE)], times=steady(s1=600)) is None
    assert ql_estimate(ahead=[], service=1, desks=[], times=steady(s1=600)) is None


def test_two_counters_take_the_line_two_at_a_time() -> None:
    desks = [Desk(1, ONE), Desk(2, ONE)]
    wait = ql_estimate(ahead=[1, 1, 1], service=1, desks=desks, times=steady(s1=600))
    assert wait == pytest.approx(600, rel=0.05)  # the textbook (3 + 1) * 600 / 2 says 1200


def test_a_counter_that_does_not_serve_the_people_ahead_does_not_help() -> None:
    # Counter 2 serves only service 1: the two visitors for service 2 ahead and this one
    # all go to counter 1, one after the other.
    desks = [Desk(1, BOTH), Desk(2, ONE)]
    wait = ql_estimate(ahead=[2, 2], service=2, desks=desks, times=steady(s1=300, s2=600))
    assert wait == pytest.approx(1200, rel=0.05)


def test_a_visitor_long_at_the_counter_is_nearly_done() -> None:
    desks = [Desk(1, ONE, busy_with=1, busy_for=500)]
    wait = ql_estimate(ahead=[], service=1, desks=desks, times=steady(s1=600))
    assert wait == pytest.approx(100, abs=15)


def test_with_exponential_times_the_estimate_is_the_median_wait() -> None:
    times = ServiceTimes.learn([], prior=600)  # no history: an exponential spread
    assert times.cv2 == 1
    desks = [Desk(1, ONE, busy_with=1, busy_for=0)]
    wait = ql_estimate(ahead=[], service=1, desks=desks, times=times, seed=3, replays=2001)
    assert wait == pytest.approx(600 * math.log(2), rel=0.1)
    assert wait == ql_estimate(ahead=[], service=1, desks=desks, times=times, seed=3, replays=2001)


def test_a_slow_counter_is_learned_and_counts() -> None:
    samples = [ServiceSample(1, 1, 300.0)] * 50 + [ServiceSample(1, 2, 900.0)] * 50
    times = ServiceTimes.learn(samples, prior=600)
    fast = ql_estimate(ahead=[1], service=1, desks=[Desk(1, ONE, 1, 0)], times=times)
    slow = ql_estimate(ahead=[1], service=1, desks=[Desk(2, ONE, 1, 0)], times=times)
    assert fast is not None and slow is not None and slow > 2 * fast


def test_les_is_the_last_delay_less_what_was_waited() -> None:
    assert les_estimate(last_delay=900, waited=300) == 600
    assert les_estimate(last_delay=900, waited=1200) == 0
    assert les_estimate(last_delay=None) is None


def test_the_naive_baseline_is_the_mean_wait_so_far() -> None:
    assert naive_estimate(waits_today=[]) == 0
    assert naive_estimate(waits_today=[100, 500]) == 300
    assert naive_estimate(waits_today=[100, 500], waited=200) == 100


def test_service_times_learned_per_counter_and_shrunk_with_few_samples() -> None:
    samples = [ServiceSample(1, 10, 300.0)] * 45 + [ServiceSample(1, 11, 900.0)] * 5
    times = ServiceTimes.learn(samples, prior=600, shrinkage=5)
    service_mean = (50 * 360 + 5 * 600) / 55
    assert times.mean(1) == pytest.approx(service_mean)
    assert times.mean(1, 10) == pytest.approx((45 * 300 + 5 * service_mean) / 50)
    assert times.mean(1, 11) == pytest.approx((5 * 900 + 5 * service_mean) / 10)
    assert times.mean(2, 10) == 600  # nothing known: the prior
    assert ServiceTimes.learn([], prior=600, priors={2: 300}).mean(2) == 300


def test_the_spread_of_service_times_is_learned() -> None:
    alike = ServiceTimes.learn([ServiceSample(1, 1, 600.0)] * 80, prior=600)
    assert alike.cv2 == pytest.approx(20 / 100)  # none observed, shrunk towards 1
    varied = [ServiceSample(1, 1, seconds) for seconds in (200.0, 1000.0)] * 200
    assert ServiceTimes.learn(varied, prior=600).cv2 > 0.4


def test_mae_of_pairs() -> None:
    assert mean_absolute_error([(10, 7), (5, 9)]) == pytest.approx(3.5)
    assert mean_absolute_error([]) is None


def test_service_times_from_sums_equal_those_learned_visit_by_visit() -> None:
    rng = random.Random(3)
    samples = [
        ServiceSample(rng.choice((1, 2, 3)), rng.choice((10, 20)), rng.gammavariate(2.0, 300.0))
        for _ in range(200)
    ]
    sums: dict[tuple[int, int], tuple[int, float, float]] = {}
    for s in samples:
        n, total, squares = sums.get((s.service, s.counter), (0, 0.0, 0.0))
        sums[(s.service, s.counter)] = (n + 1, total + s.seconds, squares + s.seconds**2)
    priors = {1: 600.0, 2: 1200.0}
    by_visit = ServiceTimes.learn(samples, prior=900.0, priors=priors)
    by_sums = ServiceTimes.from_sums(sums, prior=900.0, priors=priors)
    assert by_sums.cv2 == pytest.approx(by_visit.cv2, rel=1e-12) and by_visit.cv2 < 0.9
    for service in (1, 2, 3, 4):
        for counter in (10, 20, 30, None):
            assert by_sums.mean(service, counter) == pytest.approx(
                by_visit.mean(service, counter), rel=1e-12
            )


def priority(per_hour: dict[int, float], *, head_start: float = 600) -> Arrivals:
    """Priority visitors at a steady rate per service for the next hours."""
    return Arrivals([(0.0, per_hour)], head_start)


def test_expecting_no_priority_visitor_changes_nothing() -> None:
    times = ServiceTimes.learn([], prior=600)
    desks = [Desk(1, BOTH, busy_with=2, busy_for=100), Desk(2, ONE)]
    plain = ql_estimate(ahead=[1, 2, 1], service=1, desks=desks, times=times, seed=5)
    for arrivals in (priority({}), priority({1: 0.0}), priority({3: 60.0})):  # 3: no counter
        found = ql_estimate(
            ahead=[1, 2, 1],
            service=1,
            desks=desks,
            times=times,
            seed=5,
            turns=[-900, -600, -300, 0],
            arrivals=arrivals,
        )
        assert found == plain


def test_priority_visitors_coming_within_the_head_start_go_first() -> None:
    # The counter is free in 600 s; each priority visitor who comes before then (turn
    # before this visitor's) takes 600 s more. With 6 an hour, N ~ Poisson(1): the median
    # wait is 600 * (1 + 1); with 3 an hour, N ~ Poisson(0.5): 600 * (1 + 0).
    desks = [Desk(1, ONE, busy_with=1, busy_for=0)]
    times = steady(s1=600)

    def wait(per_hour: float) -> float | None:
        return ql_estimate(
            ahead=[],
            service=1,
            desks=desks,
            times=times,
            replays=1001,
            turns=[0],
            arrivals=priority({1: per_hour}),
        )

    assert wait(6) == pytest.approx(1200, rel=0.02)
    assert wait(3) == pytest.approx(600, rel=0.02)


def alone(desks: list[Desk], *, turn: float, per_hour: dict[int, float]) -> float | None:
    """The wait of a visitor for service 1 with nobody ahead, whose turn was ``turn``
    seconds from now, priority visitors expected at ``per_hour``."""
    return ql_estimate(
        ahead=[],
        service=1,
        desks=desks,
        times=steady(s1=600, s2=600),
        replays=1001,
        turns=[turn],
        arrivals=priority(per_hour),
    )


def test_nobody_goes_ahead_of_a_visitor_who_has_waited_the_head_start() -> None:
    desks = [Desk(1, ONE, busy_with=1, busy_for=0)]
    assert (alone(desks, turn=0, per_hour={1: 60}) or 0) > 1200
    assert alone(desks, turn=-600, per_hour={1: 60}) == pytest.approx(600, rel=0.01)


def test_priority_visitors_for_another_service_at_the_counter_go_first_too() -> None:
    shared = [Desk(1, BOTH, busy_with=1, busy_for=0)]
    assert alone(shared, turn=0, per_hour={2: 6}) == pytest.approx(1200, rel=0.02)
    apart = [Desk(1, ONE, busy_with=1, busy_for=0), Desk(2, TWO)]
    assert alone(apart, turn=0, per_hour={2: 60}) == pytest.approx(600, rel=0.01)


def test_an_idle_counter_waits_for_the_priority_visitors_it_serves() -> None:
    # Counter 2 (service 2 only) has nobody now: it takes the first priority visitor for
    # service 2 when they come, so only a second one before 600 s reaches counter 1
    # (Poisson(1) at 6 an hour: P(N >= 2) = 0.26), and the median wait stays 600 s.
    desks = [Desk(1, BOTH, busy_with=1, busy_for=0), Desk(2, TWO)]
    assert alone(desks, turn=0, per_hour={2: 6}) == pytest.approx(600, rel=0.02)


def test_expected_arrivals_follow_the_hours_of_the_day() -> None:
    rates = {9: {1: 2.0}, 10: {1: 4.0}, 11: {2: 1.0}}
    found = Arrivals.hourly(rates, now=9 * 3600 + 50 * 60, head_start=1800, until=1200)
    assert found.pieces == [(0.0, {1: 2.0}), (600.0, {1: 4.0})]
    before = Arrivals.hourly(rates, now=11 * 3600 - 60, head_start=1800, until=60, since=-120)
    assert before.pieces == [(-120.0, {1: 4.0})]  # the next hour begins after 60 s
    assert Arrivals.hourly(rates, now=23.5 * 3600, head_start=1800, until=3600).pieces == [
        (0.0, {}),
        (1800.0, {}),
    ]


def test_turns_are_needed_with_expected_arrivals() -> None:
    with pytest.raises(ValueError, match="turns"):
        ql_estimate(
            ahead=[1],
            service=1,
            desks=[Desk(1, ONE)],
            times=steady(s1=600),
            turns=[0],
            arrivals=priority({1: 6}),
        )
