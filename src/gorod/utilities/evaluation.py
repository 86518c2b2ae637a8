"""Scoring detectors against injected anomalies: precision, recall and F1 per kind.

Pure: no Django. Matching is by event (docs/anomalies.md explains why):

- an *alert event* is a run of consecutive alerting hours of one meter whose reasons map to
  one anomaly kind (``continuous_flow`` and ``night_flow`` both say ``leak``);
- a *truth event* is an injected anomaly ``(meter, kind, start, end)``; it is *found* when an
  alert event of the same meter and kind overlaps ``[start, end + grace)``. The grace (24 h
  by default) allows for detectors that need a day of evidence, as a leak does;
- an alert event is *right* when it overlaps such a window of a truth event of its meter and
  kind, else a false alarm;
- precision = right alert events / alert events; recall = found truth events / truth events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pacsv

from gorod.utilities.anomalies import KIND, Reason
from gorod.utilities.hourly import US_PER_HOUR, Hourly, HourlyError, times_parse

GRACE_HOURS = 24


@dataclass(frozen=True)
class Span:
    """An event on one meter between two epoch hours, ``last`` inclusive."""

    meter: str
    kind: str
    first: int
    last: int


@dataclass
class Score:
    truth: int = 0
    found: int = 0
    alerts: int = 0
    right: int = 0
    delays: list[int] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        return self.right / self.alerts if self.alerts else None

    @property
    def recall(self) -> float | None:
        return self.found / self.truth if self.truth else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None or p + r == 0:
            return None if p is None or r is None else 0.0
        return 2 * p * r / (p + r)

    def as_dict(self) -> dict[str, float | int | None]:
        delays = sorted(self.delays)
        return {
            "truth_events": self.truth,
            "found": self.found,
            "alert_events": self.alerts,
            "right_alerts": self.right,
            "precision": _round(self.precision),
            "recall": _round(self.recall),
            "f1": _round(self.f1),
            "median_delay_hours": delays[len(delays) // 2] if delays else None,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def evaluate(
    truth: Sequence[Span], alerts: Iterable[Span], *, grace_hours: int = GRACE_HOURS
) -> dict[str, Score]:
    scores: dict[str, Score] = defaultdict(Score)
    windows: dict[tuple[str, str], list[tuple[int, int, int]]] = defaultdict(list)
    for index, event in enumerate(truth):
        scores[event.kind].truth += 1
        windows[event.meter, event.kind].append((event.first, event.last + grace_hours, index))
    first_hit: dict[int, int] = {}
    for alert in alerts:
        score = scores[alert.kind]
        score.alerts += 1
        hits = [
            index
            for first, last, index in windows.get((alert.meter, alert.kind), ())
            if alert.first <= last and alert.last >= first
        ]
        if hits:
            score.right += 1
        for index in hits:
            first_hit[index] = min(first_hit.get(index, alert.first), alert.first)
    for index, hour in first_hit.items():
        event = truth[index]
        scores[event.kind].found += 1
        scores[event.kind].delays.append(max(hour - event.first, 0))
    return dict(sorted(scores.items()))


def runs(
    meters: Sequence[str],
    meter: npt.NDArray[np.int64],
    hour: npt.NDArray[np.int64],
    kinds: npt.NDArray[np.int64],
    names: Sequence[str],
) -> list[Span]:
    """Runs of consecutive hours of one meter with one kind code (0: none; ``names[code]``
    otherwise): per row its meter index, epoch hour and kind code, in any order."""
    order = np.lexsort((hour, meter))
    m, h, k = meter[order], hour[order], kinds[order]
    starts = np.ones(len(m), dtype=np.bool_)
    starts[1:] = (m[1:] != m[:-1]) | (h[1:] != h[:-1] + 1) | (k[1:] != k[:-1])
    first = np.flatnonzero(starts)
    last = np.append(first[1:], len(m)) - 1
    keep = k[first] > 0
    return [
        Span(meters[int(m[a])], names[int(k[a])], int(h[a]), int(h[b]))
        for a, b in zip(first[keep].tolist(), last[keep].tolist(), strict=True)
    ]


def grid_runs(
    meters: Sequence[str], first_hour: int, kinds: npt.NDArray[np.int64], names: Sequence[str]
) -> list[Span]:
    """Runs of one kind code along each row of a (meter, hour) grid starting at
    ``first_hour``; ``names[code]`` names a non-zero code."""
    change = np.ones(kinds.shape, dtype=np.bool_)
    change[:, 1:] = kinds[:, 1:] != kinds[:, :-1]
    rows, cols = np.nonzero(change)  # run starts, row by row
    ends = np.empty_like(cols)
    ends[:-1] = np.where(rows[1:] == rows[:-1], cols[1:], kinds.shape[1])
    ends[-1:] = kinds.shape[1]
    codes = kinds[rows, cols]
    keep = codes > 0
    return [
        Span(meters[r], names[c], first_hour + a, first_hour + b - 1)
        for r, c, a, b in zip(
            rows[keep].tolist(),
            codes[keep].tolist(),
            cols[keep].tolist(),
            ends[keep].tolist(),
            strict=True,
        )
    ]


TRUTH_COLUMNS = ("device_id", "kind", "start", "end")


def truth_read(path: Path | str) -> list[Span]:
    """A ground-truth CSV (``device_id,kind,start,end``, ISO 8601 times, end exclusive),
    as written by ``gorod simulate --truth``; a bad file is a :class:`HourlyError`."""
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(TRUTH_COLUMNS, pa.string()),
                strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise HourlyError(f"not a readable CSV file: {exc}") from exc
    for name in TRUTH_COLUMNS:
        if name not in table.column_names:
            raise HourlyError("is missing", column=name)
    start = _times_of(table, "start")
    end = _times_of(table, "end")
    wrong = np.flatnonzero(end <= start)
    if wrong.size:
        raise HourlyError("is not after start", line=int(wrong[0]) + 2, column="end")
    return [
        Span(meter, kind, int(first), int(last) - 1)
        for meter, kind, first, last in zip(
            table.column("device_id").to_pylist(),
            table.column("kind").to_pylist(),
            start.tolist(),
            end.tolist(),
            strict=True,
        )
    ]


def _times_of(table: pa.Table, name: str) -> npt.NDArray[np.int64]:
    try:
        micros = times_parse(table.column(name).combine_chunks())
    except HourlyError as exc:
        raise HourlyError(str(exc).split(": ", 1)[-1], line=exc.line, column=name) from exc
    return np.asarray(-(-micros // US_PER_HOUR), dtype=np.int64)  # a started hour counts


KINDS = ("", *sorted(set(KIND.values())))


def reason_kinds(reasons: npt.NDArray[np.int8]) -> npt.NDArray[np.int64]:
    """The anomaly kind code (an index into :data:`KINDS`) of each reason code."""
    table = np.zeros(len(Reason), dtype=np.int64)
    for reason, kind in KIND.items():
        table[reason] = KINDS.index(kind)
    return table[reasons]


def hourly_score(
    hourly: Hourly, reasons: npt.NDArray[np.int8], truth: Sequence[Span]
) -> dict[str, Score]:
    alerts = runs(hourly.meters, hourly.meter, hourly.hour, reason_kinds(reasons), KINDS)
    return evaluate(truth, alerts)
