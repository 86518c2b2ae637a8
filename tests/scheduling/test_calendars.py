from __future__ import annotations

import datetime as dt

from gorod.scheduling.calendars import DayException, cut, open_spans, shorten, subtract

T = dt.time
WEEK = {day: [(T(9), T(18))] for day in range(5)}
LUNCH = {day: [(T(13), T(14))] for day in range(5)}
MONDAY = dt.date(2026, 11, 23)
SATURDAY = dt.date(2026, 11, 28)


def test_a_break_splits_the_day() -> None:
    assert open_spans(MONDAY, WEEK, LUNCH) == [(T(9), T(13)), (T(14), T(18))]


def test_a_day_without_hours_is_closed() -> None:
    assert open_spans(SATURDAY, WEEK, LUNCH) == []


def test_a_holiday_is_closed() -> None:
    assert open_spans(MONDAY, WEEK, LUNCH, DayException("holiday")) == []


def test_a_shortened_day_closes_an_hour_early() -> None:
    spans = open_spans(MONDAY, WEEK, LUNCH, DayException("short", 1))
    assert spans == [(T(9), T(13)), (T(14), T(17))]


def test_shortening_past_a_whole_span_eats_into_the_one_before() -> None:
    assert shorten([(T(9), T(13)), (T(14), T(15))], 2) == [(T(9), T(12))]


def test_a_transferred_working_saturday_keeps_monday_hours() -> None:
    spans = open_spans(SATURDAY, WEEK, LUNCH, DayException("working_day"))
    assert spans == [(T(9), T(13)), (T(14), T(18))]


def test_subtract_leaves_spans_outside_the_cut() -> None:
    assert subtract([(T(8), T(10)), (T(11), T(12))], [(T(9), T(11))]) == [
        (T(8), T(9)),
        (T(11), T(12)),
    ]


def test_cut_leaves_out_a_short_tail() -> None:
    assert list(cut([(T(9), T(10)), (T(14), T(14, 50))], 25)) == [
        (T(9), T(9, 25)),
        (T(9, 25), T(9, 50)),
        (T(14), T(14, 25)),
        (T(14, 25), T(14, 50)),
    ]
