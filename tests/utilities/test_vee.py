"""VEE rules and billing arithmetic with exact figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from gorod.utilities.vee import (
    Limits,
    Method,
    Previous,
    Reason,
    Verdict,
    average_monthly,
    consumption_between,
    estimate,
    month_index,
    month_start,
    price,
    recalculation,
    validate,
)

COLD = D("6.935")
JAN = dt.date(2026, 1, 20)
FEB = dt.date(2026, 2, 20)  # 31 days after JAN


def check(value: str, previous: str | None = "100", **kwargs: object) -> Verdict:
    options: dict[str, object] = {
        "digits": 5,
        "previous": Previous(D(previous), JAN) if previous is not None else None,
        "read_on": FEB,
        "residents": 2,
        "standard_monthly": COLD,
    }
    options.update(kwargs)
    return validate(D(value), **options)  # type: ignore[arg-type]


def test_a_plain_reading_is_accepted_with_its_consumption() -> None:
    verdict = check("108.250")
    assert verdict == Verdict(True, consumption=D("8.250"))


def test_the_first_reading_of_a_meter_is_accepted_without_consumption() -> None:
    assert check("5.000", previous=None) == Verdict(True)


def test_a_negative_reading_is_refused() -> None:
    verdict = check("-1")
    assert verdict.reason is Reason.NEGATIVE
    assert not verdict.accepted


def test_a_reading_wider_than_the_register_is_refused() -> None:
    verdict = check("100000")
    assert verdict.reason is Reason.TOO_WIDE
    assert verdict.params == {"value": "100000", "digits": "5"}


def test_a_reading_below_the_previous_is_refused() -> None:
    verdict = check("99.5")
    assert verdict.reason is Reason.BELOW_PREVIOUS
    assert verdict.params == {"value": "99.5", "previous": "100"}


def test_a_rolled_over_register_counts_through_zero() -> None:
    verdict = check("12.000", previous="99990.000")
    assert verdict == Verdict(True, consumption=D("22.000"), rolled_over=True)


def test_a_drop_from_the_middle_of_the_register_is_not_a_rollover() -> None:
    assert check("12", previous="50000").reason is Reason.BELOW_PREVIOUS


def test_consumption_far_above_the_standard_is_refused() -> None:
    # 6.935 × 2 residents × 3 × 31 days / 30.4375 = 42.3789… → 42.379 m³ allowed.
    assert check("142.379").accepted
    verdict = check("142.380")
    assert verdict.reason is Reason.ABOVE_STANDARD
    assert verdict.params == {"consumption": "42.380", "allowed": "42.379", "residents": "2"}


def test_a_short_interval_still_allows_a_whole_month() -> None:
    verdict = check("141.610", read_on=JAN + dt.timedelta(days=3))
    assert verdict.accepted


def test_nobody_registered_counts_as_one_resident() -> None:
    # 6.935 × 1 × 3 × 31 / 30.4375 = 21.189
    assert check("121.189", residents=0).accepted
    assert check("121.190", residents=0).reason is Reason.ABOVE_STANDARD


def test_a_spike_against_the_meters_average_is_refused() -> None:
    # 31 m³ in 31 days = 1 m³/day: > 5 × 0.1 average and > standard 0.456/day for two.
    verdict = check("131", average_daily=D("0.1"))
    assert verdict.reason is Reason.SPIKE
    assert verdict.params == {"daily": "1.000", "average": "0.100", "factor": "5"}


def test_a_frugal_household_is_not_refused_for_normal_use() -> None:
    # 10 m³ in 31 days = 0.323/day: 10 × the average of 0.03 but under the standard's rate.
    assert check("110", average_daily=D("0.03")).accepted


def test_the_limits_are_settings() -> None:
    strict = Limits(standard_factor=D(1))
    assert check("120", limits=strict).reason is Reason.ABOVE_STANDARD


def test_rollover_needs_both_ends_near_the_edges() -> None:
    assert consumption_between(D("99000"), D("500"), digits=5) == (D("1500"), True)
    assert consumption_between(D("89000"), D("500"), digits=5) is None
    assert consumption_between(D("99000"), D("20000"), digits=5) is None


def test_month_indices_are_consecutive() -> None:
    assert month_index(dt.date(2026, 1, 31)) - month_index(dt.date(2025, 12, 1)) == 1
    assert month_start(month_index(dt.date(2026, 3, 17))) == dt.date(2026, 3, 1)


def test_the_average_spans_real_readings_and_rollovers() -> None:
    points = [(10, D("99990")), (12, D("10")), (14, D("30"))]
    assert average_monthly(points, digits=5) == (D("10.000"), 4)
    assert average_monthly(points[:1], digits=5) is None


def test_a_missing_month_is_estimated_from_the_last_six_months() -> None:
    points = [(0, D("1")), (1, D("9")), (2, D("16")), (3, D("25")), (4, D("31")), (5, D("40"))]
    # Only months 1..6 before period 7 count: (40 - 9) / 4 months = 7.750.
    result = estimate(points=points, period=7, digits=5, residents=3, standard_monthly=COLD)
    assert result.consumption == D("7.750")
    assert result.method is Method.AVERAGE
    assert result.months == 4


def test_too_short_a_history_falls_back_to_the_standard() -> None:
    result = estimate(
        points=[(4, D("10")), (5, D("18"))],
        period=6,
        digits=5,
        residents=3,
        standard_monthly=COLD,
    )
    assert result.consumption == D("20.805")
    assert result.method is Method.STANDARD


def test_after_three_estimated_months_the_standard_applies() -> None:
    points = [(0, D("0")), (1, D("5")), (2, D("10")), (3, D("15"))]
    kwargs = {"points": points, "digits": 5, "residents": 2, "standard_monthly": COLD}
    assert estimate(period=6, estimated_in_a_row=2, **kwargs).method is Method.AVERAGE  # type: ignore[arg-type]
    late = estimate(period=7, estimated_in_a_row=3, **kwargs)  # type: ignore[arg-type]
    assert late.method is Method.STANDARD
    assert late.consumption == D("13.870")


def test_recalculation_bills_the_difference_and_may_refund() -> None:
    assert recalculation(actual=D("30"), estimated=[D("7.5"), D("7.5")]) == D("15.0")
    assert recalculation(actual=D("10"), estimated=[D("7.5"), D("7.5")]) == D("-5.0")


@pytest.mark.parametrize(
    ("quantity", "tariff", "amount"),
    [("8.250", "57.23", "472.15"), ("1.005", "10", "10.05"), ("-5", "318.51", "-1592.55")],
    ids=["cold", "half-up", "refund"],
)
def test_a_line_is_priced_to_the_kopeck(quantity: str, tariff: str, amount: str) -> None:
    assert price(D(quantity), D(tariff)) == D(amount)
