"""How many counters an office needs each hour: an arrivals forecast and Erlang C.

Pure: no Django. Erlang C (M/M/n) gives the probability a visitor waits at all; the share
served within ``t`` is ``1 - C(n, a) * exp(-(n - a) * t / m)`` with offered load
``a = lambda * m`` (arrivals per hour times mean service hours). The advice is the fewest
counters meeting a target such as 80% within 15 minutes.

The forecast is the mean count per weekday and hour over the history, shrunk towards the
same hour on all weekdays when a weekday has few days of history, so a sparse history still
gives a sensible shape.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

MAX_COUNTERS = 60


def erlang_c(servers: int, load: float) -> float:
    """Probability an arrival waits, with ``servers`` servers and offered load ``load``
    (Erlangs). 1 when the system is overloaded (``load >= servers``)."""
    if load <= 0:
        return 0.0
    if servers <= load:
        return 1.0
    # Erlang B by the stable recursion, then C from B.
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return servers * b / (servers - load * (1 - b))


def service_level(
    *, servers: int, arrivals_per_hour: float, mean_service_minutes: float, target_minutes: float
) -> float:
    """Share of visitors who start service within ``target_minutes``."""
    if arrivals_per_hour <= 0:
        return 1.0
    load = arrivals_per_hour * mean_service_minutes / 60
    if servers <= load:
        return 0.0
    waits = erlang_c(servers, load)
    return 1 - waits * math.exp(-(servers - load) * target_minutes / mean_service_minutes)


def expected_wait_minutes(
    *, servers: int, arrivals_per_hour: float, mean_service_minutes: float
) -> float:
    """Mean wait in queue (minutes); infinite when overloaded."""
    if arrivals_per_hour <= 0:
        return 0.0
    load = arrivals_per_hour * mean_service_minutes / 60
    if servers <= load:
        return math.inf
    return erlang_c(servers, load) * mean_service_minutes / (servers - load)


def counters_needed(
    *,
    arrivals_per_hour: float,
    mean_service_minutes: float,
    target_minutes: float = 15,
    target_share: float = 0.8,
) -> int:
    """The fewest counters that serve ``target_share`` within ``target_minutes``."""
    if arrivals_per_hour <= 0:
        return 0
    load = arrivals_per_hour * mean_service_minutes / 60
    for servers in range(max(1, math.floor(load) + 1), MAX_COUNTERS + 1):
        level = service_level(
            servers=servers,
            arrivals_per_hour=arrivals_per_hour,
            mean_service_minutes=mean_service_minutes,
            target_minutes=target_minutes,
        )
        if level >= target_share:
            return servers
    return MAX_COUNTERS


@dataclass(frozen=True)
class Forecast:
    """Expected arrivals per (weekday 0-6, hour 0-23)."""

    rates: dict[tuple[int, int], float]

    def for_day(self, day: dt.date) -> dict[int, float]:
        weekday = day.weekday()
        return {h: r for (w, h), r in sorted(self.rates.items()) if w == weekday}


def arrivals_forecast(
    arrivals: Iterable[dt.datetime],
    *,
    days: Iterable[dt.date],
    shrinkage: float = 2.0,
) -> Forecast:
    """Forecast from arrival times (local, naive or aware) observed over ``days`` (the days
    the office was open, arrivals or not, so quiet days count as zeros)."""
    observed_days: dict[int, int] = defaultdict(int)
    for day in set(days):
        observed_days[day.weekday()] += 1
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for moment in arrivals:
        counts[(moment.weekday(), moment.hour)] += 1
    total_days = sum(observed_days.values())
    if not total_days:
        return Forecast({})
    by_hour: dict[int, int] = defaultdict(int)
    for (_weekday, hour), n in counts.items():
        by_hour[hour] += n
    rates: dict[tuple[int, int], float] = {}
    for weekday, n_days in observed_days.items():
        for hour, all_count in by_hour.items():
            overall = all_count / total_days
            own = counts.get((weekday, hour), 0)
            rates[(weekday, hour)] = (own + shrinkage * overall) / (n_days + shrinkage)
    return Forecast(rates)
