"""Alarm rules evaluated on a device's recent series, with NumPy.

A rule looks at one metric of one device: its readings in a recent window (times in
microseconds since the epoch, UTC, ascending) or only its latest value. Five kinds:

- threshold: the latest value is above (below) a limit; with ``clear_value`` the alarm clears
  only once the value is back past that second limit (hysteresis), between the two nothing
  changes;
- rate: the change per hour over the last ``window_s`` seconds is above (below) a limit;
- persistence: a condition holds at every reading, with no gap longer than ``max_gap_s``,
  for at least ``duration_s`` ("flow never zero for 24 hours" is a possible leak); ``on``
  ``increase`` tests the increase between consecutive readings of a cumulative meter;
- silence: no reading for ``after_s`` seconds;
- flag: the latest value equals a flag value (tamper = 1); with ``hold_s`` only while that
  reading is recent, for devices that send a flag only while it is raised.

Each evaluation returns a verdict, firing, clear or unknown (not enough data to say), with a
reason code and the evidence: the readings it looked at and the figures it compared. Pure:
no Django, so it is tested and benchmarked alone; the Django side turns reason codes into
translated sentences.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

Ints = NDArray[np.int64]
Floats = NDArray[np.float64]
Bools = NDArray[np.bool_]
E = TypeVar("E", bound=StrEnum)

US_PER_S = 1_000_000
US_PER_HOUR = 3600 * US_PER_S
MAX_EVIDENCE = 48
"""The most readings an alarm keeps as evidence (the latest ones)."""


class Kind(StrEnum):
    THRESHOLD = "threshold"
    RATE = "rate"
    PERSISTENCE = "persistence"
    SILENCE = "silence"
    FLAG = "flag"


class Op(StrEnum):
    ABOVE = "above"
    BELOW = "below"


class On(StrEnum):
    VALUE = "value"
    INCREASE = "increase"


class Status(StrEnum):
    FIRING = "firing"
    CLEAR = "clear"
    UNKNOWN = "unknown"


class Reason(StrEnum):
    ABOVE = "above"
    BELOW = "below"
    WITHIN = "within"
    BETWEEN = "between"
    RATE_ABOVE = "rate_above"
    RATE_BELOW = "rate_below"
    RATE_WITHIN = "rate_within"
    PERSISTS = "persists"
    NOT_PERSISTING = "not_persisting"
    SILENT = "silent"
    REPORTING = "reporting"
    FLAG_SET = "flag_set"
    FLAG_UNSET = "flag_unset"
    NO_DATA = "no_data"
    TOO_FEW = "too_few"


class RuleError(ValueError):
    """Rule parameters that cannot be evaluated; ``field`` names the parameter."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Threshold:
    op: Op
    value: float
    clear_value: float | None = None


@dataclass(frozen=True)
class Rate:
    op: Op
    per_hour: float
    window_s: int = 3600


@dataclass(frozen=True)
class Persistence:
    op: Op
    value: float
    duration_s: int
    on: On = On.VALUE
    max_gap_s: int = 6 * 3600


@dataclass(frozen=True)
class Silence:
    after_s: int


@dataclass(frozen=True)
class Flag:
    value: float = 1.0
    hold_s: int | None = None
    """A device that sends a flag only while it is raised: the flag counts as set for this
    long after its latest reading."""


Params = Threshold | Rate | Persistence | Silence | Flag


@dataclass(frozen=True)
class Series:
    """One device's readings of one metric, ascending in time."""

    ts: Ints
    values: Floats

    @classmethod
    def of(cls, ts: Any, values: Any) -> Series:
        """Arrays (or lists) of times in microseconds and values, sorted by time."""
        times = np.asarray(ts, dtype=np.int64)
        vals = np.asarray(values, dtype=np.float64)
        if times.shape != vals.shape or times.ndim != 1:
            raise ValueError("times and values must be one-dimensional and of equal length")
        order = np.argsort(times, kind="stable")
        return cls(times[order], vals[order])

    @classmethod
    def empty(cls) -> Series:
        return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def since(self, start_us: int) -> Series:
        first = int(np.searchsorted(self.ts, start_us, side="left"))
        return Series(self.ts[first:], self.values[first:])


@dataclass(frozen=True)
class Verdict:
    status: Status
    reason: Reason
    evidence: dict[str, Any]

    @property
    def firing(self) -> bool:
        return self.status is Status.FIRING


def _number(params: Mapping[str, Any], name: str, default: float | None = None) -> float:
    raw = params.get(name, default)
    if raw is None:
        raise RuleError(f"{name} is required", field=name)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise RuleError(f"{name} must be a finite number", field=name)
    return float(raw)


def _seconds(params: Mapping[str, Any], name: str, default: int | None = None) -> int:
    raw = params.get(name, default)
    if raw is None:
        raise RuleError(f"{name} is required", field=name)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        raise RuleError(f"{name} must be a positive whole number of seconds", field=name)
    return int(raw)


def _choice(params: Mapping[str, Any], name: str, enum: type[E], default: E) -> E:
    raw = params.get(name, default.value)
    try:
        return enum(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise RuleError(f"{name} must be one of: {allowed}", field=name) from None


_KNOWN = {
    Kind.THRESHOLD: {"op", "value", "clear_value"},
    Kind.RATE: {"op", "per_hour", "window_s"},
    Kind.PERSISTENCE: {"op", "value", "duration_s", "on", "max_gap_s"},
    Kind.SILENCE: {"after_s"},
    Kind.FLAG: {"value", "hold_s"},
}


def parse(kind: str, params: Mapping[str, Any]) -> Params:
    """Typed parameters of a rule of ``kind``, or ``RuleError`` naming the bad parameter."""
    try:
        rule_kind = Kind(kind)
    except ValueError:
        allowed = ", ".join(member.value for member in Kind)
        raise RuleError(f"kind must be one of: {allowed}", field="kind") from None
    unknown = sorted(set(params) - _KNOWN[rule_kind])
    if unknown:
        raise RuleError(f"unknown parameter {unknown[0]} for a {kind} rule", field=unknown[0])
    op = _choice(params, "op", Op, Op.ABOVE)
    match rule_kind:
        case Kind.THRESHOLD:
            value = _number(params, "value")
            clear = params.get("clear_value")
            clear_value = None if clear is None else _number(params, "clear_value")
            if clear_value is not None and (
                (op is Op.ABOVE and clear_value > value) or (op is Op.BELOW and clear_value < value)
            ):
                raise RuleError(
                    "clear_value must lie on the safe side of value", field="clear_value"
                )
            return Threshold(op, value, clear_value)
        case Kind.RATE:
            return Rate(op, _number(params, "per_hour"), _seconds(params, "window_s", 3600))
        case Kind.PERSISTENCE:
            return Persistence(
                op,
                _number(params, "value"),
                _seconds(params, "duration_s"),
                _choice(params, "on", On, On.VALUE),
                _seconds(params, "max_gap_s", 6 * 3600),
            )
        case Kind.SILENCE:
            return Silence(_seconds(params, "after_s"))
        case Kind.FLAG:
            hold = None if params.get("hold_s") is None else _seconds(params, "hold_s")
            return Flag(_number(params, "value", 1.0), hold)


def history_s(params: Params) -> int:
    """How many seconds of readings before the latest one a rule needs (0: the latest only)."""
    match params:
        case Rate():
            return params.window_s
        case Persistence():
            return params.duration_s + params.max_gap_s
        case _:
            return 0


def evaluate(
    params: Params, series: Series, *, now_us: int, active_since_us: int | None = None
) -> Verdict:
    """The verdict of a rule on ``series`` at ``now_us``.

    ``active_since_us`` (when the device was put in service) lets silence fire for a device
    that never reported.
    """
    match params:
        case Silence():
            return _silence(params, series, now_us, active_since_us)
        case _ if len(series) == 0:
            return Verdict(Status.UNKNOWN, Reason.NO_DATA, {})
        case Threshold():
            return _threshold(params, series)
        case Rate():
            return _rate(params, series)
        case Persistence():
            return _persistence(params, series)
        case Flag():
            return _flag(params, series, now_us)
    raise TypeError(params)  # pragma: no cover - the match covers every kind


def iso(ts_us: int) -> str:
    return datetime.fromtimestamp(ts_us / US_PER_S, tz=UTC).isoformat()


def _readings(series: Series) -> dict[str, Any]:
    tail = slice(max(0, len(series) - MAX_EVIDENCE), None)
    return {
        "ts": [iso(int(t)) for t in series.ts[tail]],
        "values": [float(v) for v in series.values[tail]],
    }


def _beyond(op: Op, x: Floats, limit: float) -> Bools:
    return x > limit if op is Op.ABOVE else x < limit


def _threshold(params: Threshold, series: Series) -> Verdict:
    latest = series.values[-1:]
    evidence = {**_readings(series.since(int(series.ts[-1]))), "limit": params.value}
    if _beyond(params.op, latest, params.value)[0]:
        reason = Reason.ABOVE if params.op is Op.ABOVE else Reason.BELOW
        return Verdict(Status.FIRING, reason, evidence)
    if params.clear_value is None or not _beyond(params.op, latest, params.clear_value)[0]:
        return Verdict(Status.CLEAR, Reason.WITHIN, evidence)
    return Verdict(Status.UNKNOWN, Reason.BETWEEN, {**evidence, "clear_value": params.clear_value})


def _rate(params: Rate, series: Series) -> Verdict:
    window = series.since(int(series.ts[-1]) - params.window_s * US_PER_S)
    if len(window) < 2 or window.ts[-1] == window.ts[0]:
        return Verdict(Status.UNKNOWN, Reason.TOO_FEW, _readings(window))
    span_h = float(window.ts[-1] - window.ts[0]) / US_PER_HOUR
    per_hour = float(np.sum(np.diff(window.values))) / span_h
    evidence = {**_readings(window), "per_hour": per_hour, "limit": params.per_hour}
    if _beyond(params.op, np.array([per_hour]), params.per_hour)[0]:
        reason = Reason.RATE_ABOVE if params.op is Op.ABOVE else Reason.RATE_BELOW
        return Verdict(Status.FIRING, reason, evidence)
    return Verdict(Status.CLEAR, Reason.RATE_WITHIN, evidence)


def _persistence(params: Persistence, series: Series) -> Verdict:
    """The current run: the latest readings (or intervals) that all hold, with no long gap."""
    long_gaps = np.diff(series.ts) > params.max_gap_s * US_PER_S
    if params.on is On.INCREASE:
        # interval i, from reading i to reading i + 1, holds the increase over it
        starts, holds = series.ts[:-1], _beyond(params.op, np.diff(series.values), params.value)
        stops = ~holds | long_gaps
    else:
        starts, holds = series.ts, _beyond(params.op, series.values, params.value)
        stops = ~holds
        stops[:-1] |= long_gaps  # the reading before a long gap ends a run
    stopped = np.flatnonzero(stops)
    first = int(stopped[-1]) + 1 if stopped.size else 0
    limits = {"limit": params.value, "duration_s": params.duration_s}
    if holds.size == 0:
        return Verdict(Status.UNKNOWN, Reason.TOO_FEW, _readings(series))
    if first == holds.size:
        evidence = {**_readings(series.since(int(series.ts[-1]))), **limits, "held_s": 0.0}
        return Verdict(Status.CLEAR, Reason.NOT_PERSISTING, evidence)
    run_start = int(starts[first])
    held_s = (int(series.ts[-1]) - run_start) / US_PER_S
    evidence = {**_readings(series.since(run_start)), **limits, "held_s": held_s}
    if held_s >= params.duration_s:
        return Verdict(Status.FIRING, Reason.PERSISTS, evidence)
    return Verdict(Status.CLEAR, Reason.NOT_PERSISTING, evidence)


def _silence(params: Silence, series: Series, now_us: int, active_since_us: int | None) -> Verdict:
    last = int(series.ts[-1]) if len(series) else None
    known = [t for t in (last, active_since_us) if t is not None]
    if not known:
        return Verdict(Status.UNKNOWN, Reason.NO_DATA, {})
    silent_s = (now_us - max(known)) / US_PER_S
    evidence: dict[str, Any] = {
        "last_ts": None if last is None else iso(last),
        "silent_s": silent_s,
        "after_s": params.after_s,
    }
    if silent_s > params.after_s:
        return Verdict(Status.FIRING, Reason.SILENT, evidence)
    return Verdict(Status.CLEAR, Reason.REPORTING, evidence)


def _flag(params: Flag, series: Series, now_us: int) -> Verdict:
    evidence = {**_readings(series.since(int(series.ts[-1]))), "flag": params.value}
    held = params.hold_s is None or now_us - int(series.ts[-1]) <= params.hold_s * US_PER_S
    if held and series.values[-1] == params.value:
        return Verdict(Status.FIRING, Reason.FLAG_SET, evidence)
    return Verdict(Status.CLEAR, Reason.FLAG_UNSET, evidence)
