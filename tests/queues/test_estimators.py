"""QL and LES estimators and service times learned from history."""

from __future__ import annotations

import math

import pytest

from gorod.queues.estimators import (
    LES,
    QL,
    ServiceSample,
    ServiceTimes,
    estimate,
    les_estimate,
    mean_absolute_error,
    ql_estimate,
)


def test_ql_is_people_ahead_plus_one_times_mean_over_servers() -> None:
    assert ql_estimate(ahead=5, servers=3, mean_service=600) == pytest.approx(1200)


def test_ql_is_zero_with_a_free_counter_and_nobody_ahead() -> None:
    assert ql_estimate(ahead=0, servers=2, mean_service=600, free_servers=1) == 0


def test_ql_without_an_open_counter_is_infinite() -> None:
    assert math.isinf(ql_estimate(ahead=0, servers=0, mean_service=600))


def test_les_is_the_last_delay_less_what_was_waited() -> None:
    assert les_estimate(last_delay=900, waited=300) == 600
    assert les_estimate(last_delay=900, waited=1200) == 0
    assert les_estimate(last_delay=None) is None


def test_les_falls_back_to_ql_without_history() -> None:
    assert estimate(LES, ahead=1, servers=1, mean_service=60) == 120
    assert estimate(LES, ahead=1, servers=1, mean_service=60, last_delay=30) == 30
    assert estimate(QL, ahead=1, servers=1, mean_service=60, last_delay=30) == 120


def test_service_times_learned_per_counter_and_shrunk_with_few_samples() -> None:
    samples = [ServiceSample(1, 10, 300.0)] * 45 + [ServiceSample(1, 11, 900.0)] * 5
    times = ServiceTimes.learn(samples, prior=600, shrinkage=5)
    service_mean = (50 * 360 + 5 * 600) / 55
    assert times.mean(1) == pytest.approx(service_mean)
    assert times.mean(1, 10) == pytest.approx((45 * 300 + 5 * service_mean) / 50)
    assert times.mean(1, 11) == pytest.approx((5 * 900 + 5 * service_mean) / 10)
    assert times.mean(2, 10) == 600  # nothing known: the prior


def test_mae_of_pairs() -> None:
    assert mean_absolute_error([(10, 7), (5, 9)]) == pytest.approx(3.5)
    assert mean_absolute_error([]) is None
