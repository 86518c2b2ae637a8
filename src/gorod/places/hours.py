"""Opening hours: ``{"mon": [["08:00", "20:00"]], ..., "sun": []}``, local time.

Pure: no Django. Each weekday holds its open intervals in order; a missing or empty day
is closed.
"""

from __future__ import annotations

import re
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")


def problem(hours: Any) -> tuple[str, str] | None:
    """(weekday, what is wrong) for a bad value, or None when it is well formed.

    What is wrong is one of ``not_object``, ``unknown_day``, ``not_list``, ``bad_span``,
    ``bad_time``, ``order`` (an interval ends before it starts or overlaps the previous).
    """
    if not isinstance(hours, dict):
        return "", "not_object"
    for day, spans in hours.items():
        if day not in WEEKDAYS:
            return str(day), "unknown_day"
        if not isinstance(spans, list):
            return day, "not_list"
        if found := _spans_problem(spans):
            return day, found
    return None


def _spans_problem(spans: list[Any]) -> str | None:
    previous_end = ""
    for span in spans:
        if not isinstance(span, list) or len(span) != 2:
            return "bad_span"
        if not all(isinstance(t, str) and _TIME.match(t) for t in span):
            return "bad_time"
        start, end = span
        if not previous_end <= start < end:
            return "order"
        previous_end = end
    return None
