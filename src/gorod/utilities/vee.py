"""Validation, estimation and editing (VEE) of monthly meter readings, and the bill's arithmetic.

Pure: no Django. A register value is a ``Decimal`` (a meter shows at most three decimals).
A verdict carries a reason code and the figures behind it; the service layer turns the
code into words in the reader's language, so every refusal says why.

The rules, as utility meter-data systems apply them:

- a reading may not be negative nor wider than the register (``digits`` integer digits);
- a reading below the previous one is refused, unless the register rolled over: the
  previous value was near the top (``rollover_margin`` of the capacity) and the new one
  near zero, as a five-digit register goes from 99 990 to 00 012;
- the consumption since the previous reading may not exceed the consumption standard per
  person × the registered residents (at least one) × ``standard_factor`` × the months
  elapsed (at least one);
- nor may its daily rate exceed ``spike_factor`` × the meter's average daily use when that
  rate is also above the standard's daily rate (so a frugal household is not refused for
  using a normal amount).

A month without a reading is estimated (Decree 354, §59-60): the average monthly
consumption over the last six months of real readings (at least three months of them),
for at most three months in a row; otherwise the standard × the registered residents.
When a real reading arrives, the consumption it shows since the last real reading is
billed minus what the estimates already billed: the recalculation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise

DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12
KOPECK = Decimal("0.01")
THOUSANDTH = Decimal("0.001")


class Reason(StrEnum):
    NEGATIVE = "negative"
    TOO_WIDE = "too_wide"
    BELOW_PREVIOUS = "below_previous"
    ABOVE_STANDARD = "above_standard"
    SPIKE = "spike"


class Method(StrEnum):
    AVERAGE = "average"
    STANDARD = "standard"


@dataclass(frozen=True)
class Limits:
    standard_factor: Decimal = Decimal(3)
    spike_factor: Decimal = Decimal(5)
    rollover_margin: Decimal = Decimal("0.1")


@dataclass(frozen=True)
class Previous:
    """The last accepted real reading of the meter: its value and the day it was taken."""

    value: Decimal
    on: dt.date


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    consumption: Decimal | None = None
    reason: Reason | None = None
    # The figures a message about the reason names (as text, ready to show).
    params: dict[str, str] = field(default_factory=dict)
    rolled_over: bool = False


@dataclass(frozen=True)
class Estimate:
    consumption: Decimal
    method: Method
    months: int  # how many months of real readings the average spans (0 for the standard)


def quantize(value: Decimal) -> Decimal:
    return value.quantize(THOUSANDTH, rounding=ROUND_HALF_UP)


def capacity(digits: int) -> Decimal:
    """The first value a register of ``digits`` integer digits cannot show."""
    return Decimal(10) ** digits


def consumption_between(
    previous: Decimal, current: Decimal, *, digits: int, limits: Limits = Limits()
) -> tuple[Decimal, bool] | None:
    """What the meter counted from ``previous`` to ``current``, and whether it rolled over;
    None when ``current`` is below ``previous`` and no rollover explains it."""
    if current >= previous:
        return current - previous, False
    top = capacity(digits)
    if previous >= top * (1 - limits.rollover_margin) and current < top * limits.rollover_margin:
        return top - previous + current, True
    return None


def months_between(start: dt.date, end: dt.date) -> Decimal:
    return Decimal(max((end - start).days, 1)) / DAYS_PER_MONTH


def _register_refusal(value: Decimal, digits: int) -> Verdict | None:
    if value < 0:
        return Verdict(False, reason=Reason.NEGATIVE, params={"value": str(value)})
    if value >= capacity(digits):
        return Verdict(
            False, reason=Reason.TOO_WIDE, params={"value": str(value), "digits": str(digits)}
        )
    return None


def _usage_verdict(
    used: Decimal,
    *,
    days: Decimal,
    residents: int,
    standard_monthly: Decimal,
    average_daily: Decimal | None,
    limits: Limits,
) -> Verdict:
    people = max(residents, 1)
    allowed = quantize(
        standard_monthly * people * limits.standard_factor * max(days / DAYS_PER_MONTH, Decimal(1))
    )
    if used > allowed:
        return Verdict(
            False,
            consumption=used,
            reason=Reason.ABOVE_STANDARD,
            params={"consumption": str(used), "allowed": str(allowed), "residents": str(people)},
        )
    daily = used / days
    standard_daily = standard_monthly * people / DAYS_PER_MONTH
    if (
        average_daily is not None
        and average_daily > 0
        and daily > limits.spike_factor * average_daily
        and daily > standard_daily
    ):
        return Verdict(
            False,
            consumption=used,
            reason=Reason.SPIKE,
            params={
                "daily": str(quantize(daily)),
                "average": str(quantize(average_daily)),
                "factor": str(limits.spike_factor),
            },
        )
    return Verdict(True, consumption=used)


def validate(
    value: Decimal,
    *,
    digits: int,
    previous: Previous | None,
    read_on: dt.date,
    residents: int,
    standard_monthly: Decimal,
    average_daily: Decimal | None = None,
    limits: Limits = Limits(),
) -> Verdict:
    """Accept or refuse a reading of a register, with the reason and the figures."""
    refusal = _register_refusal(value, digits)
    if refusal is not None:
        return refusal
    if previous is None:
        return Verdict(True)
    counted = consumption_between(previous.value, value, digits=digits, limits=limits)
    if counted is None:
        return Verdict(
            False,
            reason=Reason.BELOW_PREVIOUS,
            params={"value": str(value), "previous": str(previous.value)},
        )
    used, rolled_over = counted
    verdict = _usage_verdict(
        used,
        days=Decimal(max((read_on - previous.on).days, 1)),
        residents=residents,
        standard_monthly=standard_monthly,
        average_daily=average_daily,
        limits=limits,
    )
    return replace(verdict, rolled_over=rolled_over)


def month_index(day: dt.date) -> int:
    """Months since year 0: consecutive months differ by one."""
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def average_monthly(
    points: Sequence[tuple[int, Decimal]], *, digits: int, limits: Limits = Limits()
) -> tuple[Decimal, int] | None:
    """The average monthly consumption between real readings ``(month index, value)``
    (ascending) and the months it spans; None with fewer than two points or a reading
    below its predecessor that no rollover explains."""
    if len(points) < 2:
        return None
    total = Decimal(0)
    for (_, before), (_, after) in pairwise(points):
        counted = consumption_between(before, after, digits=digits, limits=limits)
        if counted is None:
            return None
        total += counted[0]
    span = points[-1][0] - points[0][0]
    if span <= 0:
        return None
    return quantize(total / span), span


def estimate(
    *,
    points: Sequence[tuple[int, Decimal]],
    period: int,
    digits: int,
    residents: int,
    standard_monthly: Decimal,
    estimated_in_a_row: int = 0,
    window_months: int = 6,
    min_months: int = 3,
    max_estimated: int = 3,
    limits: Limits = Limits(),
) -> Estimate:
    """The consumption to bill for month ``period`` that has no reading.

    ``points`` are the meter's real readings as ``(month index, value)``, ascending;
    ``estimated_in_a_row`` counts the estimated months just before ``period``.
    """
    recent = [(month, value) for month, value in points if period - window_months <= month < period]
    average = average_monthly(recent, digits=digits, limits=limits)
    if average is not None and average[1] >= min_months and estimated_in_a_row < max_estimated:
        return Estimate(average[0], Method.AVERAGE, average[1])
    return Estimate(quantize(standard_monthly * max(residents, 1)), Method.STANDARD, 0)


def recalculation(*, actual: Decimal, estimated: Sequence[Decimal]) -> Decimal:
    """What a real reading adds to the bill after estimated months: the consumption it
    shows since the last real reading minus what the estimates billed (negative: a refund)."""
    return actual - sum(estimated, Decimal(0))


def price(quantity: Decimal, tariff: Decimal) -> Decimal:
    """A bill line's amount in roubles, to the kopeck."""
    return (quantity * tariff).quantize(KOPECK, rounding=ROUND_HALF_UP)
