"""Erlang C and the arrivals forecast."""

from __future__ import annotations

import datetime as dt

import pytest

from gorod.queues.staffing import (
    arrivals_forecast,
    counters_needed,
    erlang_c,
    expected_wait_minutes,
    service_level,
)


def test_erlang_c_matches_the_textbook_value() -> None:
    # 2 servers, load 1 Erlang: C = 1/3.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # A classic call-centre figure: 10 agents, 8 Erlangs -> C about 0.409.
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=1e-3)


def test_an_overloaded_office_always_waits() -> None:
    assert erlang_c(3, 3.0) == 1
    assert (
        service_level(servers=3, arrivals_per_hour=20, mean_service_minutes=10, target_minutes=15)
        == 0
    )


def test_counters_needed_is_the_fewest_meeting_the_target() -> None:
    needed = counters_needed(arrivals_per_hour=30, mean_service_minutes=12, target_minutes=15)
    assert needed > 6  # the load alone is 6 Erlangs
    level = {
        n: service_level(
            servers=n, arrivals_per_hour=30, mean_service_minutes=12, target_minutes=15
        )
        for n in (needed - 1, needed)
    }
    assert level[needed] >= 0.8 > level[needed - 1]


def test_no_arrivals_need_no_counter() -> None:
    assert counters_needed(arrivals_per_hour=0, mean_service_minutes=12) == 0
    assert expected_wait_minutes(servers=1, arrivals_per_hour=0, mean_service_minutes=5) == 0


def test_forecast_is_the_mean_per_weekday_and_hour_shrunk_towards_the_hour() -> None:
    mondays = [dt.date(2026, 3, 2), dt.date(2026, 3, 9)]
    tuesday = dt.date(2026, 3, 3)
    arrivals = [dt.datetime(2026, 3, 2, 10, m, tzinfo=dt.UTC) for m in range(6)]
    arrivals += [dt.datetime(2026, 3, 9, 10, m, tzinfo=dt.UTC) for m in range(4)]
    forecast = arrivals_forecast(arrivals, days=[*mondays, tuesday], shrinkage=2)
    overall = 10 / 3
    assert forecast.rates[(0, 10)] == pytest.approx((10 + 2 * overall) / 4)
    assert forecast.rates[(1, 10)] == pytest.approx((0 + 2 * overall) / 3)
    assert forecast.for_day(tuesday) == {10: forecast.rates[(1, 10)]}


def test_forecast_without_history_is_empty() -> None:
    assert arrivals_forecast([], days=[]).rates == {}
