"""The OpenDP measurements: real noise, the budget they are calibrated to, clamped sums."""

from __future__ import annotations

import statistics

import pytest

from gorod.privacy import dp


def test_counts_are_noisy_two_releases_of_the_same_data_differ() -> None:
    records = [cell for cell in range(50) for _ in range(100)]
    first, _noise = dp.noisy_counts(records, 50, epsilon=1.0)
    second, _noise = dp.noisy_counts(records, 50, epsilon=1.0)
    assert first != second


def test_counts_are_unbiased_over_many_cells() -> None:
    # 400 cells of 100 records each, scale 2: the mean error is within a few standard errors.
    records = [cell for cell in range(400) for _ in range(100)]
    values, noise = dp.noisy_counts(records, 400, epsilon=0.5)
    errors = [value - 100 for value in values]
    standard_error = (2 * noise.scale**2 / len(errors)) ** 0.5
    assert abs(statistics.fmean(errors)) < 5 * standard_error
    assert statistics.pstdev(errors) > 0


def test_about_95_percent_of_cells_are_within_the_stated_accuracy() -> None:
    records = [cell for cell in range(1000) for _ in range(10)]
    values, noise = dp.noisy_counts(records, 1000, epsilon=1.0)
    within = sum(abs(value - 10) <= noise.plus_minus for value in values) / len(values)
    assert 0.9 <= within <= 1.0


def test_count_noise_is_calibrated_to_the_requested_epsilon() -> None:
    _measurement, noise = dp.count_measurement(10, epsilon=0.5)
    assert noise.mechanism == dp.LAPLACE
    assert noise.epsilon <= 0.5
    assert noise.scale == pytest.approx(2.0, rel=1e-6)
    assert noise.delta == 0


def test_with_delta_the_noise_is_gaussian_within_epsilon_and_delta() -> None:
    _measurement, noise = dp.count_measurement(10, epsilon=1.0, delta=1e-6)
    assert noise.mechanism == dp.GAUSSIAN
    assert noise.epsilon <= 1.0
    assert noise.delta == pytest.approx(1e-6)


def test_a_smaller_epsilon_means_more_noise() -> None:
    _m, loose = dp.count_measurement(5, epsilon=2.0)
    _m, tight = dp.count_measurement(5, epsilon=0.1)
    assert tight.plus_minus > loose.plus_minus


def test_sums_clamp_each_value_to_the_bounds() -> None:
    # A huge epsilon makes the noise negligible, so the clamping shows: 50 counts as 10, 0 as 1.
    values, _noise = dp.noisy_sums([[50, 0, 3], [2]], bounds=(1, 10), epsilon=1000.0)
    assert values[0] == pytest.approx(14, abs=1)
    assert values[1] == pytest.approx(2, abs=1)


def test_sum_noise_scales_with_the_upper_bound() -> None:
    _m, noise = dp.sum_measurement(bounds=(1, 10), epsilon=1.0)
    assert noise.scale == pytest.approx(10.0, rel=1e-6)
    assert noise.epsilon <= 1.0


def test_every_cell_is_released_even_an_empty_one() -> None:
    values, _noise = dp.noisy_counts([0, 0], 3, epsilon=1.0)
    assert len(values) == 3


def test_a_record_outside_the_cells_is_refused() -> None:
    with pytest.raises(ValueError, match="cells"):
        dp.noisy_counts([0, 5], 3, epsilon=1.0)


@pytest.mark.parametrize(("epsilon", "delta"), [(0.0, 0.0), (-1.0, 0.0), (1.0, 1.0), (1.0, -0.1)])
def test_a_budget_out_of_range_is_refused(epsilon: float, delta: float) -> None:
    with pytest.raises(ValueError):
        dp.count_measurement(3, epsilon=epsilon, delta=delta)


def test_inverted_bounds_are_refused() -> None:
    with pytest.raises(ValueError, match="bound"):
        dp.sum_measurement(bounds=(10, 1), epsilon=1.0)
