"""Every detector of ``anomalies.py`` in two compiled passes per meter: the fast path of
:func:`gorod.utilities.anomalies.detect`.

Pure: NumPy and Numba, no Django. The detectors in ``anomalies.py`` are the specification,
written as whole-array NumPy steps, one detector at a time; one after the other they
stream a chunk through memory some thirty times. Here each meter's hours (35 KB of float32
for a year) are read while they sit in the processor's cache: one pass over its days for
the detectors that think in local days (the profile of each hour of the day, flowing
nights, slowed days), one pass over its hours for those that think in hours (a running
count of flowing, still and equal hours, the last backward step), each hour taking the
smallest code. Most meters never flow through a whole night, stay still a whole day or
go back: their hour pass only looks for repeats, as no run of theirs can be long enough for
the other hour detectors. The arithmetic is the specification's, in the same order and precision
(the input's dtype for the hourly values and the profile, float64 for day totals and sums),
so the codes are the same to the bit: ``tests/utilities/test_kernel.py`` holds the two to
that on a simulated fleet with every kind of anomaly.

Compiled on first use and cached on disk by Numba (``cache=True``): a machine pays the
compilation (seconds) once per input dtype, not once per run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from numba import njit

if TYPE_CHECKING:
    from gorod.utilities.anomalies import Thresholds

HOURS_PER_DAY = 24
# The codes are anomalies.Reason's: 1 decreasing, 2 repeat, 3 stuck, 4 slowed, 5 above the
# profile, 6 continuous flow, 7 night flow; an hour takes the smallest that flags it.
NONE = 8  # above every reason: "no reason yet"
STUCK_CODE = 3

# The thresholds travel as three small arrays; these name their places.
CONTINUOUS, NIGHT_FIRST, NIGHT_LAST, NIGHTS, REPEAT_RUN, REPEAT_HOLD = range(6)
STUCK, DECREASING_HOLD, SLOWED_DAYS, SLOWED_MOVING, WARMUP = range(6, 11)
STUCK_WEEK, MIN_FLOW, SLOWED_ALPHA, SLOWED_SHARE = range(4)  # float64
ZERO, FLOW_AT, BACK_BELOW, ALPHA, DEVIATIONS, FLOOR, NAN = range(7)  # the values' dtype


@njit(cache=True, nogil=True, boundscheck=False)
def _day_codes(  # noqa: PLR0917, PLR0915 - compiled: positional scalars, one loop
    padded: Any,
    days: int,
    same: Any,
    night_first: int,
    night_last: int,
    nights: int,
    slowed_days: int,
    slowed_alpha: float,
    slowed_share: float,
    slowed_moving: int,
    warmup: int,
    codes: Any,
) -> tuple[bool, bool]:
    """The detectors that think in local days (above the profile, slowed, night flow) over
    one meter's ``padded[day * 24 + hour]`` (NaN before and after its data): each hour's
    smallest code, or NONE, into ``codes`` laid out alike; whether a night flowed throughout
    and whether a day stayed still throughout. One loop over each day's hours for its
    totals and the profile, which stores only the rare hour above it; the day-long
    verdicts (slowed, night flow) visit the hours again only on the rare days they hold.
    (Thresholds come as scalars: read from an array inside the loops they were slower.)"""
    zero, flow_at, floor = same[ZERO], same[FLOW_AT], same[FLOOR]
    alpha, deviations = same[ALPHA], same[DEVIATIONS]
    mean = np.zeros(HOURS_PER_DAY, dtype=padded.dtype)  # the profile of each hour of the day
    deviation = np.zeros(HOURS_PER_DAY, dtype=padded.dtype)
    baseline = np.empty(days)  # the slowed detector's baseline of daily use
    window = np.empty(days)  # litres used up to and including each day
    moving = np.empty(days, dtype=np.int64)  # hours that moved, likewise
    seen = 0  # days with data so far
    night_run = 0
    late_before = False  # whether last night ended a run of enough flowing nights
    night_seen = False  # a flowing night: without one, no run of flowing hours is long
    still_seen = False  # a day without a drop: without one, no still spell is long
    for d in range(days):
        row = padded[d * HOURS_PER_DAY : (d + 1) * HOURS_PER_DAY]
        day_used = 0.0
        day_moving = 0
        day_seen = False
        day_still = 0
        # A flagged hour has a value, so its day is seen: warm is known before the day ends.
        warm = seen + 1 > warmup
        out = codes[d * HOURS_PER_DAY : (d + 1) * HOURS_PER_DAY]
        out[:] = NONE
        for h in range(HOURS_PER_DAY):
            value = row[h]
            used = value if value > zero else zero  # NaN and backward steps: none
            day_used += used
            day_moving += 1 if value >= flow_at else 0
            day_seen |= not np.isnan(value)
            day_still += 1 if value == 0.0 else 0
            if d == 0:
                mean[h] = used
            else:  # above the profile of this hour of the day on earlier days
                limit = mean[h] + deviations * deviation[h]
                if warm & (value > limit) & (value > floor):
                    out[h] = 5
                mean[h] += alpha * (used - mean[h])
                deviation[h] += alpha * (abs(used - mean[h]) - deviation[h])
        night_ok = True
        for h in range(night_first, night_last):
            night_ok &= row[h] >= flow_at
        night_seen |= night_ok
        still_seen |= day_still == HOURS_PER_DAY
        night_run = night_run + 1 if night_ok else 0
        late = night_run >= nights
        seen += 1 if day_seen else 0
        if d == 0:
            baseline[0], window[0], moving[0] = day_used, day_used, day_moving
        else:
            baseline[d] = baseline[d - 1] + slowed_alpha * (day_used - baseline[d - 1])
            window[d] = window[d - 1] + day_used
            moving[d] = moving[d - 1] + day_moving
        slowed = False
        if d > slowed_days:  # the specification's window: days first .. d - 1, its baseline
            first = d - slowed_days - 1  # on day first
            trailing = window[d - 1] - (window[first - 1] if first > 0 else 0.0)
            moving_trailing = moving[d - 1] - (moving[first - 1] if first > 0 else 0)
            slowed = (
                trailing < slowed_share * (baseline[first] * slowed_days)
                and moving_trailing >= slowed_moving
                and seen > warmup + slowed_days
            )
        if slowed or late or late_before:  # rare: a day-long verdict joins the hours
            for h in range(HOURS_PER_DAY):
                night = late if h >= night_last else late_before
                code = min(out[h], 7 if night else NONE)
                out[h] = min(code, 4 if slowed else NONE)
        late_before = late
    return night_seen, still_seen


@njit(cache=True, nogil=True, boundscheck=False)
def _hour_codes(  # noqa: PLR0917 - compiled: positional arrays
    values: Any,
    totals: Any,
    has_totals: bool,
    ints: Any,
    floats: Any,
    same: Any,
    cumulative: Any,
    codes: Any,
    out: Any,
) -> bool:
    """The detectors that think in hours (continuous flow, stuck, repeat, decreasing) over
    one meter's ``values``, joined with the day detectors' ``codes`` for the same hours into
    ``out`` (the smallest code, 0 for none); True if an hour is stuck. Branch-free where the
    data decides: a mispredicted branch costs more than the arithmetic."""
    zero, flow_at, back_below = same[ZERO], same[FLOW_AT], same[BACK_BELOW]
    continuous, stuck, week = ints[CONTINUOUS], ints[STUCK], 7 * HOURS_PER_DAY
    repeat_run, repeat_hold, decreasing_hold = (
        ints[REPEAT_RUN],
        ints[REPEAT_HOLD],
        ints[DECREASING_HOLD],
    )
    stuck_week, min_flow = floats[STUCK_WEEK], floats[MIN_FLOW]
    previous = same[NAN]  # the first hour repeats nothing
    previous_total = np.nan
    flow_run = zero_run = same_run = 0
    last_repeat, last_back = -repeat_hold, -decreasing_hold
    spell_counts = False  # whether the week before the current still spell saw use
    stuck_seen = False
    running = 0.0  # litres used so far: in a register, so the hours do not chain in memory
    cumulative[0] = running
    for c in range(values.shape[0]):
        value = values[c]
        running += value if value > zero else zero
        cumulative[c + 1] = running
        flow_run = flow_run + 1 if value >= flow_at else 0
        code = min(codes[c], 6 if flow_run >= continuous else NONE)
        zero_run = zero_run + 1 if value == 0.0 else 0
        if zero_run == stuck:  # a spell's first stuck hour: judge the week before it
            start = c - zero_run + 1
            earlier = start - week if start > week else 0
            spell_counts = not cumulative[start] - cumulative[earlier] < stuck_week
        code = min(code, STUCK_CODE if (zero_run >= stuck) & spell_counts else NONE)
        same_run = same_run + 1 if (value == previous) & (value >= 1.0) else 0
        last_repeat = c if same_run >= repeat_run else last_repeat
        code = min(code, 2 if c - last_repeat < repeat_hold else NONE)
        previous = value
        backward = value < back_below
        if has_totals:
            total = totals[c]
            backward |= total < previous_total - min_flow
            previous_total = total
        last_back = c if backward else last_back
        code = min(code, 1 if c - last_back < decreasing_hold else NONE)
        out[c] = code if code < NONE else 0
        stuck_seen |= code == STUCK_CODE
    return stuck_seen


@njit(cache=True, nogil=True, boundscheck=False)
def _backward(values: Any, totals: Any, has_totals: bool, back_below: Any, min_flow: float) -> bool:
    """Whether the register goes back anywhere (branch-free, so the loops vectorise)."""
    found = False
    for c in range(values.shape[0]):
        found |= values[c] < back_below
    if has_totals:
        for c in range(1, totals.shape[0]):
            found |= totals[c] < totals[c - 1] - min_flow
    return found


@njit(cache=True, nogil=True, boundscheck=False)
def _repeat_codes(values: Any, ints: Any, same: Any, codes: Any, out: Any) -> None:
    """The hour pass of a meter that cannot flow, stay still or go back long enough to
    raise those alerts (most meters): repeats only, joined with ``codes`` into ``out``."""
    repeat_run, repeat_hold = ints[REPEAT_RUN], ints[REPEAT_HOLD]
    previous = same[NAN]
    same_run = 0
    last_repeat = -repeat_hold
    for c in range(values.shape[0]):
        value = values[c]
        same_run = same_run + 1 if (value == previous) & (value >= 1.0) else 0
        last_repeat = c if same_run >= repeat_run else last_repeat
        code = min(codes[c], 2 if c - last_repeat < repeat_hold else NONE)
        previous = value
        out[c] = code if code < NONE else 0


@njit(cache=True, nogil=True, boundscheck=False)
def _reasons(  # noqa: PLR0917 - compiled: positional arrays
    litres: Any,
    totals: Any,
    has_totals: bool,
    before: int,
    ints: Any,
    floats: Any,
    same: Any,
    out: Any,
    stuck_rows: Any,
) -> None:
    meters, hours = litres.shape
    days = (before + hours + HOURS_PER_DAY - 1) // HOURS_PER_DAY
    padded = np.full(days * HOURS_PER_DAY, same[NAN])  # one meter at a time, reused
    codes = np.empty(days * HOURS_PER_DAY, dtype=np.int8)
    cumulative = np.empty(hours + 1)
    # Runs long enough to flag cover a whole night (flow) or a whole local day (still).
    night_span = ints[NIGHT_LAST] - ints[NIGHT_FIRST]
    flow_needs_night = ints[CONTINUOUS] >= HOURS_PER_DAY + night_span - 1
    still_needs_day = ints[STUCK] >= 2 * HOURS_PER_DAY - 1
    for m in range(meters):
        padded[before : before + hours] = litres[m]
        night_seen, still_seen = _day_codes(
            padded,
            days,
            same,
            ints[NIGHT_FIRST],
            ints[NIGHT_LAST],
            ints[NIGHTS],
            ints[SLOWED_DAYS],
            floats[SLOWED_ALPHA],
            floats[SLOWED_SHARE],
            ints[SLOWED_MOVING],
            ints[WARMUP],
            codes,
        )
        row_totals = totals[m if has_totals else 0]
        lean = (
            (flow_needs_night and not night_seen)
            and (still_needs_day and not still_seen)
            and not _backward(litres[m], row_totals, has_totals, same[BACK_BELOW], floats[MIN_FLOW])
        )
        if lean:
            _repeat_codes(litres[m], ints, same, codes[before : before + hours], out[m])
            stuck_rows[m] = False
            continue
        stuck_rows[m] = _hour_codes(
            litres[m],
            row_totals,
            has_totals,
            ints,
            floats,
            same,
            cumulative,
            codes[before : before + hours],
            out[m],
        )


@njit(cache=True, nogil=True, boundscheck=False)
def _stuck_confirm(reasons: Any, litres: Any, apartments: Any, rows: Any, window: int) -> None:
    """Clears the stuck hours of ``rows`` in which the other meters of the apartment sent
    data but used no water in the last ``window`` hours or in the ``window`` before them
    (``anomalies._stuck_confirm``)."""
    hours = litres.shape[1]
    used = np.zeros(hours, dtype=litres.dtype)
    zero = used[0]  # in the values' dtype, as the specification adds them
    observed = np.zeros(hours, dtype=np.bool_)
    for row in rows:
        label = apartments[row]
        if label < 0:
            continue
        first, last = hours, -1  # the stuck hours, and the window before the first
        for c in range(hours):
            if reasons[row, c] == STUCK_CODE:
                first, last = min(first, c), c
        low = max(first - 2 * window + 1, 0)
        used[low : last + 1] = zero
        observed[low : last + 1] = False
        siblings = 0
        for other in range(reasons.shape[0]):
            if other == row or apartments[other] != label:
                continue
            siblings += 1
            for c in range(low, last + 1):
                value = litres[other, c]
                used[c] += value if value > zero else zero  # NaN and backward steps: none
                observed[c] |= not np.isnan(value)
        if not siblings:
            continue
        using = 0  # hours of the last ``window`` in which the others used a litre or more
        used_before = 0  # likewise in the ``window`` hours before those
        seeing = 0  # hours of the last two windows in which any of them sent data
        for c in range(low, last + 1):
            using += 1 if used[c] >= 1.0 else 0
            seeing += 1 if observed[c] else 0
            if c - window >= low:
                moved = 1 if used[c - window] >= 1.0 else 0
                using -= moved
                used_before += moved
            if c - 2 * window >= low:
                used_before -= 1 if used[c - 2 * window] >= 1.0 else 0
                seeing -= 1 if observed[c - 2 * window] else 0
            away = (using == 0 or used_before == 0) and seeing > 0
            if reasons[row, c] == STUCK_CODE and away:
                reasons[row, c] = 0


def reasons(
    litres: npt.NDArray[np.floating[Any]],
    before: int,
    *,
    totals: npt.NDArray[np.floating[Any]] | None,
    thresholds: Thresholds,
    apartments: npt.NDArray[np.int64] | None = None,
    household_window: int = 0,
) -> npt.NDArray[np.int8]:
    """Each hour's reason code (0: none) for a chunk ``litres[meter, hour]`` whose column 0
    is hour ``before`` of a local day. With ``apartments``, a stuck hour is cleared where
    the other meters of the apartment sent data but used no water in the last
    ``household_window`` hours or the ``household_window`` before them: an empty flat (or
    a household leaving it), not a stopped register."""
    litres = np.ascontiguousarray(litres)
    if litres.dtype not in (np.float32, np.float64):
        litres = litres.astype(np.float64)
    out = np.empty(litres.shape, dtype=np.int8)
    if not litres.size:
        return out
    t = thresholds
    ints = np.zeros(11, dtype=np.int64)
    ints[[CONTINUOUS, NIGHT_FIRST, NIGHT_LAST, NIGHTS, REPEAT_RUN, REPEAT_HOLD]] = (
        t.continuous_hours,
        *t.night_hours,
        t.nights,
        t.repeat_hours - 1,  # equal to the hour before, so one fewer in a row
        t.repeat_hold_hours,
    )
    ints[[STUCK, DECREASING_HOLD, SLOWED_DAYS, SLOWED_MOVING, WARMUP]] = (
        t.stuck_hours,
        t.decreasing_hold_hours,
        t.slowed_days,
        t.slowed_moving_hours,
        t.profile_warmup_days,
    )
    floats = np.array(
        [t.stuck_week_litres, t.min_flow_litres, 1.0 / t.slowed_baseline_days, t.slowed_share]
    )
    # What the specification compares the values with, in their own dtype (as NumPy does).
    same = np.array(
        [
            0.0,
            t.min_flow_litres,
            -t.min_flow_litres,
            1.0 / t.profile_days,
            t.profile_deviations,
            t.profile_floor_litres,
            np.nan,
        ],
        dtype=litres.dtype,
    )
    has_totals = totals is not None
    registers = np.zeros((1, 1)) if totals is None else np.ascontiguousarray(totals, np.float64)
    stuck_rows = np.zeros(len(litres), dtype=np.bool_)
    _reasons(litres, registers, has_totals, before, ints, floats, same, out, stuck_rows)
    if apartments is not None and stuck_rows.any():
        _stuck_confirm(
            out,
            litres,
            np.ascontiguousarray(apartments, dtype=np.int64),
            np.flatnonzero(stuck_rows),
            household_window,
        )
    return out
