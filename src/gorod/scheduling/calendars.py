"""Working calendars to open intervals and slots: pure, no Django.

A day's open time is its weekday's hours minus its breaks, changed by the production
calendar: a day off has none, a shortened pre-holiday day closes ``hours_shorter`` hours
early, and a transferred working day (a Saturday worked) keeps the hours of the weekday
named in ``working_day_as`` (Monday unless told).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

Span = tuple[dt.time, dt.time]


@dataclass(frozen=True)
class DayException:
    kind: str  # "holiday", "short" or "working_day"
    hours_shorter: int = 1


def _minutes(t: dt.time) -> int:
    return t.hour * 60 + t.minute


def _time(minutes: int) -> dt.time:
    return dt.time(minutes // 60, minutes % 60)


def subtract(spans: Iterable[Span], cuts: Iterable[Span]) -> list[Span]:
    """``spans`` with every ``cuts`` interval removed, in order."""
    pieces = [(_minutes(a), _minutes(b)) for a, b in sorted(spans)]
    for cut_start, cut_end in ((_minutes(a), _minutes(b)) for a, b in cuts):
        kept: list[tuple[int, int]] = []
        for start, end in pieces:
            if cut_end <= start or end <= cut_start:
                kept.append((start, end))
                continue
            if start < cut_start:
                kept.append((start, cut_start))
            if cut_end < end:
                kept.append((cut_end, end))
        pieces = kept
    return [(_time(a), _time(b)) for a, b in pieces]


def shorten(spans: list[Span], hours: int) -> list[Span]:
    """The day closing ``hours`` earlier: time taken off the end of the last spans."""
    left = hours * 60
    result = [(_minutes(a), _minutes(b)) for a, b in spans]
    while result and left > 0:
        start, end = result.pop()
        length = end - start
        if length > left:
            result.append((start, end - left))
        left -= length
    return [(_time(a), _time(b)) for a, b in result]


def open_spans(
    day: dt.date,
    hours: Mapping[int, list[Span]],
    breaks: Mapping[int, list[Span]],
    exception: DayException | None = None,
) -> list[Span]:
    """The open intervals of ``day`` (local time) for a weekly pattern and its exception."""
    weekday = day.weekday()
    if exception is not None and exception.kind == "holiday":
        return []
    if exception is not None and exception.kind == "working_day" and not hours.get(weekday):
        weekday = 0
    spans = subtract(hours.get(weekday, []), breaks.get(weekday, []))
    if exception is not None and exception.kind == "short":
        spans = shorten(spans, exception.hours_shorter)
    return spans


def cut(spans: Iterable[Span], minutes: int) -> Iterator[Span]:
    """Whole slots of ``minutes`` inside each span; a tail shorter than a slot is left out."""
    for start, end in spans:
        at, stop = _minutes(start), _minutes(end)
        while at + minutes <= stop:
            yield _time(at), _time(at + minutes)
            at += minutes
