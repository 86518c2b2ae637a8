"""Alarm rules on crafted series: each kind fires and clears, with its evidence."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gorod.telemetry.rules import (
    MAX_EVIDENCE,
    US_PER_HOUR,
    US_PER_S,
    Flag,
    On,
    Op,
    Persistence,
    Reason,
    RuleError,
    Series,
    Status,
    evaluate,
    history_s,
    iso,
    parse,
)

HOUR = US_PER_HOUR
T0 = 1_780_000_000 * US_PER_S


def hourly(values: list[float], *, start: int = T0) -> Series:
    return Series.of([start + i * HOUR for i in range(len(values))], values)


def verdict(kind: str, params: dict[str, Any], series: Series, **kw: Any) -> Any:
    now = kw.pop("now_us", int(series.ts[-1]) if len(series) else T0)
    return evaluate(parse(kind, params), series, now_us=now, **kw)


def test_threshold_fires_on_the_latest_value_above_and_clears_below() -> None:
    rule = {"op": "above", "value": 80}
    fired = verdict("threshold", rule, hourly([10, 20, 95]))
    assert fired.status is Status.FIRING
    assert fired.reason is Reason.ABOVE
    assert fired.evidence["values"] == [95.0]
    assert fired.evidence["limit"] == 80
    cleared = verdict("threshold", rule, hourly([95, 96, 50]))
    assert cleared.status is Status.CLEAR
    assert cleared.reason is Reason.WITHIN


def test_threshold_below_fires_for_a_low_battery() -> None:
    rule = {"op": "below", "value": 20}
    assert verdict("threshold", rule, hourly([40, 19])).reason is Reason.BELOW
    assert verdict("threshold", rule, hourly([19, 40])).status is Status.CLEAR


def test_threshold_with_hysteresis_changes_nothing_between_the_limits() -> None:
    rule = {"op": "above", "value": 80, "clear_value": 70}
    assert verdict("threshold", rule, hourly([75])).status is Status.UNKNOWN
    assert verdict("threshold", rule, hourly([65])).status is Status.CLEAR
    assert verdict("threshold", rule, hourly([81])).status is Status.FIRING


def test_rate_fires_when_the_increase_per_hour_is_too_fast() -> None:
    rule = {"op": "above", "per_hour": 0.5, "window_s": 3 * 3600}
    # 0.1 m³ an hour, then 1 m³ an hour over the last three hours
    fast = verdict("rate", rule, hourly([0, 0.1, 0.2, 1.2, 2.2, 3.2]))
    assert fast.status is Status.FIRING
    assert fast.reason is Reason.RATE_ABOVE
    assert fast.evidence["per_hour"] == pytest.approx(1.0)
    assert len(fast.evidence["values"]) == 4
    slow = verdict("rate", rule, hourly([0, 1, 2, 2.1, 2.2, 2.3]))
    assert slow.status is Status.CLEAR
    assert slow.evidence["per_hour"] == pytest.approx(0.1)


def test_rate_needs_two_readings_in_its_window() -> None:
    rule = {"op": "above", "per_hour": 1, "window_s": 3600}
    series = Series.of([T0, T0 + 5 * HOUR], [0, 100])
    assert verdict("rate", rule, series).reason is Reason.TOO_FEW


def test_persistence_fires_when_flow_never_drops_to_zero_for_a_day() -> None:
    rule = {"op": "above", "value": 0, "duration_s": 24 * 3600}
    leak = verdict("persistence", rule, hourly([0.0] + [3.0] * 25))
    assert leak.status is Status.FIRING
    assert leak.reason is Reason.PERSISTS
    assert leak.evidence["held_s"] == 24 * 3600
    assert leak.evidence["values"] == [3.0] * 25
    short = verdict("persistence", rule, hourly([3.0] * 10 + [0.0] + [3.0] * 15))
    assert short.status is Status.CLEAR
    assert short.evidence["held_s"] == 14 * 3600
    stopped = verdict("persistence", rule, hourly([3.0] * 30 + [0.0]))
    assert stopped.status is Status.CLEAR
    assert stopped.evidence["held_s"] == 0


def test_persistence_on_the_increase_of_a_cumulative_meter() -> None:
    rule = {"op": "above", "value": 0, "duration_s": 24 * 3600, "on": "increase"}
    always_rising = hourly([100 + 0.01 * i for i in range(25)])
    assert verdict("persistence", rule, always_rising).status is Status.FIRING
    night_pause = hourly([100 + 0.01 * min(i, 12) + 0.01 * max(0, i - 13) for i in range(25)])
    assert verdict("persistence", rule, night_pause).status is Status.CLEAR


def test_a_long_gap_breaks_a_persistent_run() -> None:
    rule = {"op": "above", "value": 0, "duration_s": 24 * 3600, "max_gap_s": 2 * 3600}
    before = [T0 + i * HOUR for i in range(20)]
    after = [T0 + (30 + i) * HOUR for i in range(10)]
    series = Series.of(before + after, [1.0] * 30)
    result = verdict("persistence", rule, series)
    assert result.status is Status.CLEAR
    assert result.evidence["held_s"] == 9 * 3600


def test_silence_fires_after_six_hours_without_readings() -> None:
    rule = {"after_s": 6 * 3600}
    series = hourly([1.0, 2.0])
    last = int(series.ts[-1])
    silent = verdict("silence", rule, series, now_us=last + 7 * HOUR)
    assert silent.status is Status.FIRING
    assert silent.evidence["silent_s"] == 7 * 3600
    assert silent.evidence["last_ts"].startswith("2026-")
    assert verdict("silence", rule, series, now_us=last + 5 * HOUR).status is Status.CLEAR


def test_silence_of_a_device_that_never_reported_counts_from_its_start() -> None:
    rule = {"after_s": 6 * 3600}
    empty = Series.empty()
    assert verdict("silence", rule, empty, now_us=T0).status is Status.UNKNOWN
    since = verdict("silence", rule, empty, now_us=T0 + 7 * HOUR, active_since_us=T0)
    assert since.status is Status.FIRING
    assert since.evidence["last_ts"] is None


def test_flag_fires_on_tamper_and_clears_when_reset() -> None:
    assert verdict("flag", {}, hourly([0, 1])).reason is Reason.FLAG_SET
    assert verdict("flag", {"value": 1}, hourly([1, 0])).status is Status.CLEAR


def test_a_flag_sent_only_while_raised_clears_once_it_is_old() -> None:
    rule = {"value": 1, "hold_s": 2 * 3600}
    series = hourly([1, 1])
    last = int(series.ts[-1])
    assert verdict("flag", rule, series, now_us=last + HOUR).status is Status.FIRING
    assert verdict("flag", rule, series, now_us=last + 3 * HOUR).status is Status.CLEAR


@pytest.mark.parametrize("kind", ["threshold", "rate", "persistence", "flag"])
def test_no_readings_is_unknown(kind: str) -> None:
    params = {
        "threshold": {"value": 1},
        "rate": {"per_hour": 1},
        "persistence": {"value": 0, "duration_s": 60},
        "flag": {},
    }[kind]
    assert verdict(kind, params, Series.empty()).status is Status.UNKNOWN


def test_evidence_keeps_only_the_latest_readings() -> None:
    rule = {"op": "above", "value": 0, "duration_s": 3600}
    series = hourly([float(i) + 1 for i in range(MAX_EVIDENCE + 10)])
    result = verdict("persistence", rule, series)
    assert len(result.evidence["values"]) == MAX_EVIDENCE
    assert result.evidence["values"][-1] == MAX_EVIDENCE + 10
    assert result.evidence["ts"][-1] == iso(int(series.ts[-1]))


@pytest.mark.parametrize(
    ("kind", "params", "field"),
    [
        ("sometimes", {}, "kind"),
        ("threshold", {}, "value"),
        ("threshold", {"value": "high"}, "value"),
        ("threshold", {"value": float("nan")}, "value"),
        ("threshold", {"value": True}, "value"),
        ("threshold", {"value": 1, "op": "sideways"}, "op"),
        ("threshold", {"value": 80, "clear_value": 90}, "clear_value"),
        ("rate", {"per_hour": 1, "window_s": 0}, "window_s"),
        ("persistence", {"value": 0}, "duration_s"),
        ("persistence", {"value": 0, "duration_s": 60, "on": "mood"}, "on"),
        ("silence", {"after_s": -1}, "after_s"),
        ("flag", {"colour": "red"}, "colour"),
    ],
    ids=lambda v: str(v) if isinstance(v, str) else None,
)
def test_bad_parameters_name_the_field(kind: str, params: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleError) as error:
        parse(kind, params)
    assert error.value.field == field


def test_history_needed_by_each_kind() -> None:
    assert history_s(parse("threshold", {"value": 1})) == 0
    assert history_s(parse("rate", {"per_hour": 1, "window_s": 600})) == 600
    assert history_s(Persistence(Op.ABOVE, 0, 3600, On.VALUE, 60)) == 3660
    assert history_s(Flag()) == 0


def _brute_run_s(ts: list[int], values: list[float], limit: float, gap_us: int) -> float:
    """The current run by walking back one reading at a time."""
    if values[-1] <= limit:
        return -1
    first = len(values) - 1
    while first > 0 and values[first - 1] > limit and ts[first] - ts[first - 1] <= gap_us:
        first -= 1
    return (ts[-1] - ts[first]) / US_PER_S


@given(
    st.lists(
        st.tuples(st.integers(1, 4 * 3600), st.sampled_from([0.0, 0.5, 1.0, 2.0])),
        min_size=1,
        max_size=60,
    ),
    st.integers(600, 48 * 3600),
)
@settings(deadline=None, max_examples=300)
def test_persistence_agrees_with_walking_back(
    steps: list[tuple[int, float]], duration: int
) -> None:
    ts = list(np.cumsum([T0] + [s * US_PER_S for s, _ in steps[1:]]).tolist())
    values = [v for _, v in steps]
    gap_s = 3 * 3600
    params = Persistence(Op.ABOVE, 0.5, duration, On.VALUE, gap_s)
    result = evaluate(params, Series.of(ts, values), now_us=ts[-1])
    held = _brute_run_s(ts, values, 0.5, gap_s * US_PER_S)
    assert result.firing == (held >= duration)
    assert result.evidence["held_s"] == max(held, 0)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30), st.floats(-1e6, 1e6))
def test_threshold_looks_at_the_latest_value_only(values: list[float], limit: float) -> None:
    result = evaluate(parse("threshold", {"value": limit}), hourly(values), now_us=T0)
    assert result.firing == (values[-1] > limit)
