"""Anomaly detectors for hourly water consumption: leaks, bursts, stuck and faulty meters.

Pure: NumPy, SciPy and scikit-learn, no Django. Every detector takes a 2-D array
``litres[meter, hour]`` on a common hourly grid (NaN where a meter sent nothing) and returns
a boolean array of the same shape: True where, at that hour, the meter's own PAST and
present say something is wrong. Nothing looks ahead: every window is trailing, every
baseline is built from earlier days only, so the verdict for an hour is the one a live
system would have given at that hour. Meters are independent, so a caller streams a large
fleet through in chunks of meters and memory stays bounded.

The detectors, by the priority in which they name an hour's reason (:class:`Reason`):

- ``decreasing``: the register went backwards (negative consumption, or the total fell),
  flagged for a day after each backward step;
- ``repeat``: the same non-zero volume twelve hours running (real use never repeats so),
  flagged for a day after the last repeat;
- ``stuck``: no consumption for two days although the meter measured water the week
  before: the register has stopped (or the household is away: the evidence says how long);
- ``slowed``: the last three whole days measured less than 20% of what the meter's daily
  baseline (from the days before them) predicts, although the register still moved in 20
  of those hours: a household at home whose meter is slowed (by a magnet, or worn); judged
  at each midnight for the day that follows;
- ``above_profile``: an hour far above the meter's own profile for that hour of the day
  (exponentially weighted mean and mean absolute deviation over earlier days: a robust
  seasonal baseline at a fraction of a median's cost) and above an absolute floor;
- ``continuous_flow``: no hour without flow in the last 26 hours (a leak or a running tap;
  a day and two hours, so that one busy day of a large household is not a leak);
- ``night_flow``: flow in every hour from 02:00 to 05:00 local time for three nights running.

The functions below say what each detector computes, one whole-array step at a time;
:func:`detect` computes all of them in one compiled pass per meter (``kernel.py``), held to
the same codes as :func:`detect_reference` by ``tests/utilities/test_kernel.py``.

:func:`alert_events` turns the hourly verdicts into alert events (runs of one reason on one
meter) with the evidence an operator needs; :func:`outlier_scores` scores each meter's
month against similar apartments with an IsolationForest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.floating[Any]]
Bools = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.int8]

HOURS_PER_DAY = 24


class Reason(IntEnum):
    """An hour's verdict; the lower the value, the higher the priority (0: no alert)."""

    NONE = 0
    DECREASING = 1
    REPEAT = 2
    STUCK = 3
    SLOWED = 4
    ABOVE_PROFILE = 5
    CONTINUOUS_FLOW = 6
    NIGHT_FLOW = 7


# What each reason says about the meter, as the simulator's anomaly kinds name it.
KIND = {
    Reason.DECREASING: "reverse",
    Reason.REPEAT: "repeat",
    Reason.STUCK: "stuck",
    Reason.SLOWED: "magnet",
    Reason.ABOVE_PROFILE: "burst",
    Reason.CONTINUOUS_FLOW: "leak",
    Reason.NIGHT_FLOW: "leak",
}
LABEL = {reason: reason.name.lower() for reason in Reason}


@dataclass(frozen=True)
class Thresholds:
    continuous_hours: int = 26
    min_flow_litres: float = 0.5
    night_hours: tuple[int, int] = (2, 5)  # local time, end exclusive
    nights: int = 3
    repeat_hours: int = 12
    repeat_hold_hours: int = 24
    stuck_hours: int = 48
    stuck_week_litres: float = 150.0
    decreasing_hold_hours: int = 24
    slowed_days: int = 3
    slowed_baseline_days: float = 45.0  # slow to forget: a magnet stays for weeks
    slowed_share: float = 0.2
    slowed_moving_hours: int = 20
    profile_days: float = 14.0  # the baseline's time constant
    profile_warmup_days: int = 7
    profile_deviations: float = 8.0
    profile_floor_litres: float = 350.0


DEFAULT = Thresholds()


@dataclass(frozen=True)
class Grid:
    """Where the columns sit in time: the epoch hour (UTC) of column 0 and the local offset."""

    first_hour: int
    utc_offset_hours: int = 3

    def local_hour_of_first(self) -> int:
        return (self.first_hour + self.utc_offset_hours) % HOURS_PER_DAY


def _trailing_count(flags: Bools, window: int) -> npt.NDArray[np.int32]:
    """How many of the last ``window`` hours (this one included) are flagged."""
    sums = np.cumsum(flags, axis=1, dtype=np.int32)
    out = np.empty_like(sums)
    out[:, :window] = sums[:, :window]
    np.subtract(sums[:, window:], sums[:, :-window], out=out[:, window:])
    return out


def _held(flags: Bools, hours: int) -> Bools:
    """Flagged, or flagged within the last ``hours`` hours; only rows with a flag do work
    (most meters have none)."""
    rows = np.flatnonzero(flags.any(axis=1))
    held = np.zeros(flags.shape, dtype=np.bool_)
    if rows.size:
        held[rows] = _trailing_count(flags[rows], hours) > 0
    return held


def _run_length(flags: Bools) -> npt.NDArray[np.int64]:
    """How many hours in a row, ending at each hour, are flagged (0 where not flagged)."""
    hours = np.arange(flags.shape[1], dtype=np.int64)
    last_unflagged = np.where(flags, -1, hours[None, :])
    np.maximum.accumulate(last_unflagged, axis=1, out=last_unflagged)
    return hours[None, :] - last_unflagged


def continuous_flow(litres: Floats, *, thresholds: Thresholds = DEFAULT) -> Bools:
    flowing = litres >= thresholds.min_flow_litres  # NaN (no data) is not flow
    window = thresholds.continuous_hours
    return _trailing_count(flowing, window) >= window


@dataclass(frozen=True)
class ByDay:
    """A chunk reshaped to (meter, local day, hour of day), and what day detectors share."""

    days: Floats  # NaN-padded at both ends
    before: int  # the padding before column 0
    used: Floats  # litres used: no data and backward steps as 0
    seen: npt.NDArray[np.int64]  # days with data up to and including each day


def _by_day(values: Floats, grid: Grid) -> ByDay:
    """``values`` reshaped to (meter, local day, hour of day), padded with NaN at both ends."""
    before = grid.local_hour_of_first()
    meters, hours = values.shape
    days = -(-(before + hours) // HOURS_PER_DAY)
    padded = np.full((meters, days * HOURS_PER_DAY), np.nan, dtype=values.dtype)
    padded[:, before : before + hours] = values
    shaped = padded.reshape(meters, days, HOURS_PER_DAY)
    used = _used(shaped)
    seen = np.cumsum(~np.isnan(shaped).all(axis=2), axis=1, dtype=np.int64)
    return ByDay(days=shaped, before=before, used=used, seen=seen)


def _from_days(by_day: npt.NDArray[Any], before: int, hours: int) -> npt.NDArray[Any]:
    meters = by_day.shape[0]
    return by_day.reshape(meters, -1)[:, before : before + hours]


def night_flow(
    litres: Floats, grid: Grid, *, thresholds: Thresholds = DEFAULT, by_day: ByDay | None = None
) -> Bools:
    """Flagged from the end of the third flowing night until a night without flow."""
    view = by_day or _by_day(litres, grid)
    days, before = view.days, view.before
    first, last = thresholds.night_hours
    flowing: Bools = np.all(days[:, :, first:last] >= thresholds.min_flow_litres, axis=2)
    nights = _run_length(flowing) >= thresholds.nights
    hourly = np.zeros(days.shape, dtype=np.bool_)
    hourly[:, :, last:] = nights[:, :, None]  # known once the night is over
    hourly[:, 1:, :last] = nights[:, :-1, None]  # until the next night says otherwise
    return _from_days(hourly, before, litres.shape[1])


def _used(values: Floats) -> Floats:
    """Litres used: no data and backward steps count as none (``fmax`` drops NaN)."""
    return np.fmax(values, 0.0)


def _runs_of_at_least(flags: Bools, hours: int) -> Bools:
    """Where the last ``hours`` hours (this one included) are all flagged."""
    return _trailing_count(flags, hours) >= hours


def repeat(litres: Floats, *, thresholds: Thresholds = DEFAULT) -> Bools:
    same = np.zeros(litres.shape, dtype=np.bool_)
    same[:, 1:] = (litres[:, 1:] == litres[:, :-1]) & (litres[:, 1:] >= 1.0)
    repeating = _runs_of_at_least(same, thresholds.repeat_hours - 1)
    # Held for a day: the flow the repeats leave in the trailing windows is theirs, not a leak.
    return _held(repeating, thresholds.repeat_hold_hours)


def stuck(
    litres: Floats, grid: Grid, *, thresholds: Thresholds = DEFAULT, by_day: ByDay | None = None
) -> Bools:
    """No flow for ``stuck_hours`` while the week before the still spell saw real use."""
    length = thresholds.stuck_hours
    flagged = np.zeros(litres.shape, dtype=np.bool_)
    if length >= 2 * HOURS_PER_DAY - 1:  # such a spell holds a whole still local day
        view = by_day or _by_day(litres, grid)
        candidates = np.flatnonzero((view.days == 0.0).all(axis=2).any(axis=1))
    else:
        candidates = np.arange(litres.shape[0])
    if not candidates.size:
        return flagged
    flagged[candidates] = _runs_of_at_least(litres[candidates] == 0.0, length)
    rows, cols = np.nonzero(flagged)
    if not rows.size:
        return flagged
    # A spell's first flagged hour is ``length - 1`` hours after its first still hour.
    starts = np.ones(rows.size, dtype=np.bool_)
    starts[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1] + 1)
    first_flagged = cols[starts][np.cumsum(starts) - 1]
    spell_start = first_flagged - (length - 1)
    meters, row_of = np.unique(rows, return_inverse=True)  # only the meters with a still spell
    cumulative = np.zeros((len(meters), litres.shape[1] + 1))
    np.cumsum(_used(litres[meters]), axis=1, out=cumulative[:, 1:])
    week_before = np.maximum(spell_start - 7 * HOURS_PER_DAY, 0)
    week = cumulative[row_of, spell_start] - cumulative[row_of, week_before]
    idle = week < thresholds.stuck_week_litres
    flagged[rows[idle], cols[idle]] = False
    return flagged


def decreasing(
    litres: Floats, totals: Floats | None = None, *, thresholds: Thresholds = DEFAULT
) -> Bools:
    backwards = litres < -thresholds.min_flow_litres
    if totals is not None:
        backwards[:, 1:] |= totals[:, 1:] < totals[:, :-1] - thresholds.min_flow_litres
    return _held(backwards, thresholds.decreasing_hold_hours)


def _smooth(days: Floats, alpha: float) -> Floats:
    """Exponentially weighted mean along axis 1 (days), started at the first day's value;
    a loop over days with whole-fleet steps: days are few, meters many."""
    smoothed = np.empty_like(days)
    mean = days[:, 0].copy()
    smoothed[:, 0] = mean
    for day in range(1, days.shape[1]):
        mean += alpha * (days[:, day] - mean)
        smoothed[:, day] = mean
    return smoothed


def _profile_limit(days: Floats, alpha: float, deviations: float) -> Floats:
    """Per day and hour of day: mean + ``deviations`` × mean absolute deviation over the
    EARLIER days (both exponentially weighted); infinite on the first day."""
    limit = np.full(days.shape, np.inf, dtype=days.dtype)
    mean = days[:, 0].copy()
    deviation = np.zeros_like(mean)
    for day in range(1, days.shape[1]):
        limit[:, day] = mean + deviations * deviation
        today = days[:, day]
        mean += alpha * (today - mean)
        deviation += alpha * (np.abs(today - mean) - deviation)
    return limit


def slowed(
    litres: Floats, grid: Grid, *, thresholds: Thresholds = DEFAULT, by_day: ByDay | None = None
) -> Bools:
    """Judged at each local midnight on the last ``slowed_days`` whole days, and held for the
    next day: all in days, so it costs little."""
    view = by_day or _by_day(litres, grid)
    days, before = view.days, view.before
    daily = view.used.sum(axis=2, dtype=np.float64)
    moving_daily = (days >= thresholds.min_flow_litres).sum(axis=2)
    span = thresholds.slowed_days
    baseline = _smooth(daily, 1.0 / thresholds.slowed_baseline_days)
    seen = view.seen
    judged = np.zeros(daily.shape, dtype=np.bool_)  # on the days after the window
    if daily.shape[1] > span + 1:
        window = np.cumsum(daily, axis=1)
        trailing = window[:, span:] - np.concatenate(
            [np.zeros((len(daily), 1)), window[:, : -span - 1]], axis=1
        )  # the `span` days ending on each day from day `span - 1`
        moving = np.cumsum(moving_daily, axis=1)
        moving_trailing = moving[:, span:] - np.concatenate(
            [np.zeros((len(daily), 1), dtype=moving.dtype), moving[:, : -span - 1]], axis=1
        )
        # The window of days d-span .. d-1 is judged against the baseline before it.
        expected = baseline[:, : -span - 1] * span
        low = trailing[:, :-1] < thresholds.slowed_share * expected
        busy = moving_trailing[:, :-1] >= thresholds.slowed_moving_hours
        warm = seen[:, span + 1 :] > thresholds.profile_warmup_days + span
        judged[:, span + 1 :] = low & busy & warm
    hourly = np.repeat(judged[:, :, None], HOURS_PER_DAY, axis=2)
    flagged: Bools = _from_days(hourly, before, litres.shape[1])
    return flagged


def above_profile(
    litres: Floats, grid: Grid, *, thresholds: Thresholds = DEFAULT, by_day: ByDay | None = None
) -> Bools:
    """An hour above mean + k × deviation of the same hour on EARLIER days, and the floor."""
    view = by_day or _by_day(litres, grid)
    days, before = view.days, view.before
    limit = _profile_limit(view.used, 1.0 / thresholds.profile_days, thresholds.profile_deviations)
    warm = thresholds.profile_warmup_days
    seen = view.seen
    limit[seen <= warm] = np.inf
    high = (days > limit) & (days > thresholds.profile_floor_litres)
    return _from_days(high, before, litres.shape[1])


def detect(
    litres: Floats,
    grid: Grid,
    *,
    totals: Floats | None = None,
    thresholds: Thresholds = DEFAULT,
    apartments: npt.NDArray[np.int64] | None = None,
) -> Codes:
    """Every detector over a chunk of meters; each hour gets its highest-priority reason.

    ``apartments`` (a label per row, -1 for none) lets a still meter be told from an empty
    flat: it is ``stuck`` only while the other meters of its apartment in the chunk measured
    water in each half of its still spell (in the last 24 hours and the 24 before); with no
    such meter (or no data from it) the alert stands.

    The detectors run in one compiled pass per meter (``kernel.py``), which gives the same
    codes as :func:`detect_reference` (the detectors above, one after the other) to the bit,
    about four times faster."""
    from gorod.utilities import kernel  # Numba: loaded (and compiled) when first needed

    return kernel.reasons(
        litres,
        grid.local_hour_of_first(),
        totals=totals,
        thresholds=thresholds,
        apartments=apartments,
        household_window=_household_window(thresholds),
    )


def detect_reference(
    litres: Floats,
    grid: Grid,
    *,
    totals: Floats | None = None,
    thresholds: Thresholds = DEFAULT,
    apartments: npt.NDArray[np.int64] | None = None,
) -> Codes:
    """What :func:`detect` computes, as the detectors above say it, one whole-array NumPy
    step after another: the specification the compiled pass is held to."""
    reasons = np.zeros(litres.shape, dtype=np.int8)
    by_day = _by_day(litres, grid)  # shared by the detectors that think in days
    verdicts = (
        (Reason.NIGHT_FLOW, night_flow(litres, grid, thresholds=thresholds, by_day=by_day)),
        (Reason.CONTINUOUS_FLOW, continuous_flow(litres, thresholds=thresholds)),
        (Reason.ABOVE_PROFILE, above_profile(litres, grid, thresholds=thresholds, by_day=by_day)),
        (Reason.SLOWED, slowed(litres, grid, thresholds=thresholds, by_day=by_day)),
        (Reason.STUCK, stuck(litres, grid, thresholds=thresholds, by_day=by_day)),
        (Reason.REPEAT, repeat(litres, thresholds=thresholds)),
        (Reason.DECREASING, decreasing(litres, totals, thresholds=thresholds)),
    )
    for reason, flagged in verdicts:  # lowest priority first: the last word wins
        np.copyto(reasons, np.int8(reason), where=flagged)
    if apartments is not None:
        _stuck_confirm(reasons, litres, apartments, thresholds)
    return reasons


def _household_window(thresholds: Thresholds) -> int:
    """Half the still spell: a household is at home while its other meters used water in
    each half of the spell so far. One window of the whole spell let a household's last
    use before leaving (on another meter, hours after this one's) pass for being at home."""
    return thresholds.stuck_hours // 2


def _stuck_confirm(
    reasons: Codes, litres: Floats, apartments: npt.NDArray[np.int64], thresholds: Thresholds
) -> None:
    half = _household_window(thresholds)
    for row in np.flatnonzero((reasons == Reason.STUCK).any(axis=1)).tolist():
        label = apartments[row]
        siblings = np.flatnonzero(apartments == label)
        siblings = siblings[siblings != row]
        if label < 0 or not siblings.size:
            continue
        others = litres[siblings]
        using = _used(others).sum(axis=0, keepdims=True) >= 1.0
        recent = _trailing_count(using, half)[0]
        earlier = _trailing_count(using, 2 * half)[0] - recent
        observed = _trailing_count(~np.isnan(others).all(axis=0, keepdims=True), 2 * half)[0]
        household_away = ((recent == 0) | (earlier == 0)) & (observed > 0)
        hours = (reasons[row] == Reason.STUCK) & household_away
        reasons[row, hours] = Reason.NONE


@dataclass(frozen=True)
class AlertEvent:
    """A run of hours with one reason on one meter, and the data behind the verdict."""

    meter: int  # row in the chunk
    reason: Reason
    first: int  # column of the first alerting hour
    last: int  # column of the last, inclusive
    evidence: dict[str, float]

    @property
    def kind(self) -> str:
        return KIND[self.reason]


def _evidence(litres: Floats, row: int, reason: Reason, first: int, last: int) -> dict[str, float]:
    window = litres[row, max(first - HOURS_PER_DAY + 1, 0) : first + 1]
    before = litres[row, max(first - 7 * HOURS_PER_DAY, 0) : max(first - HOURS_PER_DAY, 0)]
    run = litres[row, first : last + 1]
    evidence = {
        "hours": float(last - first + 1),
        "litres_last_24h": float(np.nansum(window)),
        "min_hour_litres_last_24h": float(np.nanmin(window)) if window.size else 0.0,
        "typical_day_litres": float(np.nansum(before) / max(len(before) / 24, 1.0)),
    }
    if reason in (Reason.ABOVE_PROFILE, Reason.REPEAT, Reason.DECREASING):
        evidence["peak_hour_litres"] = float(np.nanmax(np.abs(run)))
    return evidence


def alert_events(litres: Floats, reasons: Codes) -> list[AlertEvent]:
    """Runs of equal non-zero reasons per meter, each with its evidence."""
    events = []
    change = np.ones(reasons.shape, dtype=np.bool_)
    change[:, 1:] = reasons[:, 1:] != reasons[:, :-1]
    rows, starts = np.nonzero(change & (reasons > 0))
    for row, first in zip(rows.tolist(), starts.tolist(), strict=True):
        reason = Reason(int(reasons[row, first]))
        following = np.flatnonzero(reasons[row, first:] != reason)
        last = first + (int(following[0]) if following.size else reasons.shape[1] - first) - 1
        events.append(
            AlertEvent(
                meter=row,
                reason=reason,
                first=first,
                last=last,
                evidence=_evidence(litres, row, reason, first, last),
            )
        )
    return events


FEATURES = ("daily_litres", "night_share", "zero_hour_share", "peak_hour_litres", "weekend_ratio")


def monthly_features(litres: Floats, grid: Grid) -> Floats:
    """Per meter, over the hours given (a month): the features :data:`FEATURES` name."""
    days = _by_day(litres, grid).days
    daily = np.nansum(days, axis=2)
    seen = ~np.isnan(days).all(axis=2)
    count = np.maximum(seen.sum(axis=1), 1)
    per_day = daily.sum(axis=1) / count
    first, last = DEFAULT.night_hours
    night = np.nansum(days[:, :, first:last], axis=(1, 2)) / np.maximum(daily.sum(axis=1), 1.0)
    zero = np.nanmean(np.where(np.isnan(litres), np.nan, litres == 0.0), axis=1)
    peak = np.nanmax(np.nan_to_num(litres, nan=0.0), axis=1)
    first_day = (grid.first_hour + grid.utc_offset_hours - grid.local_hour_of_first()) // 24
    weekday = (first_day + np.arange(days.shape[1]) + 3) % 7  # 1970-01-01 was a Thursday
    weekend = (weekday >= 5)[None, :] & seen
    weekend_mean = (daily * weekend).sum(axis=1) / np.maximum(weekend.sum(axis=1), 1)
    weekday_mean = (daily * (~weekend & seen)).sum(axis=1) / np.maximum(
        (~weekend & seen).sum(axis=1), 1
    )
    ratio = weekend_mean / np.maximum(weekday_mean, 1.0)
    return np.column_stack([per_day, night, zero, peak, ratio])


def outlier_scores(
    features: Floats, *, groups: Sequence[int] | None = None, seed: int = 0
) -> Floats:
    """How unlike its peers each row is (higher: more anomalous; about 0.5 is ordinary),
    from an IsolationForest fitted per group of similar apartments (e.g. by residents)."""
    from sklearn.ensemble import IsolationForest

    labels = np.zeros(len(features), dtype=np.int64) if groups is None else np.asarray(groups)
    scores = np.zeros(len(features))
    logged = np.log1p(np.clip(features, 0.0, None))
    for label in np.unique(labels):
        rows = labels == label
        if rows.sum() < 8:  # too few peers to say anything
            scores[rows] = 0.5
            continue
        forest = IsolationForest(n_estimators=100, random_state=seed).fit(logged[rows])
        scores[rows] = -forest.score_samples(logged[rows])
    return scores
