"""QL (the queue replayed), LES, the naive baseline and service times learned from history."""

from __future__ import annotations

import math
import random

import pytest

from gorod.queues.estimators import (
    Desk,
    ServiceSample,
    ServiceTimes,
    les_estimate,
    mean_absolute_error,
    naive_estimate,
    ql_estimate,
)

ONE = frozenset({1})
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
