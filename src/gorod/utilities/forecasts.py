"""Each district's daily water use from the telemetry table, forecast 30 days ahead.

The use of a day is the rise of each water meter's register from the day before (its last
value of each local day), summed over the district's meters; a meter that sent nothing on
a day leaves a gap that its next day does not double. Forecasts are made by
``forecasting.forecast_daily`` (statsforecast) in a command, not on a page (a first fit
compiles for seconds), and kept as ``Forecast`` rows the operators' page draws.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from django.db import transaction
from django.utils import timezone

from gorod.telemetry import conf as telemetry_conf
from gorod.telemetry import table
from gorod.utilities.forecasting import LEVEL, SeriesError, forecast_daily
from gorod.utilities.models import RESOURCE_METRIC, Forecast, Resource

US_PER_DAY = 86_400_000_000
WATER_METRICS = [RESOURCE_METRIC[Resource.WATER_COLD], RESOURCE_METRIC[Resource.WATER_HOT]]


def _local_offset_us(now: dt.datetime) -> int:
    offset = timezone.localtime(now).utcoffset() or dt.timedelta()
    return int(offset.total_seconds()) * 1_000_000


def district_daily(
    *,
    district_ids: Sequence[int],
    days: int,
    now: dt.datetime,
    uri: str | None = None,
) -> pd.DataFrame:
    """``unique_id`` (the district id as text), ``ds`` (local day), ``y`` (m³) for the
    ``days`` whole local days before ``now``'s."""
    offset = _local_offset_us(now)
    today = int(now.timestamp() * 1_000_000 + offset) // US_PER_DAY
    first = today - days - 1  # one more day: the first day's use is its rise from this one
    start = dt.datetime.fromtimestamp((first * US_PER_DAY - offset) / 1e6, tz=dt.UTC)
    end = dt.datetime.fromtimestamp((today * US_PER_DAY - offset) / 1e6, tz=dt.UTC)
    with table.connect(
        uri or telemetry_conf.table_uri(), storage_options=telemetry_conf.storage_options()
    ) as con:
        rows = con.execute(
            "WITH stamped AS ("
            " SELECT device_id, metric, district_id, ts, value, (epoch_us(ts) + ?) // ? AS day"
            " FROM readings WHERE metric IN (SELECT unnest(?)) AND ts >= ? AND ts < ?"
            " AND district_id IN (SELECT unnest(?))),"
            " daily AS (SELECT device_id, metric, any_value(district_id) AS district_id, day,"
            " arg_max(value, ts) AS total FROM stamped GROUP BY device_id, metric, day),"
            " used AS (SELECT district_id, day, total - lag(total) OVER"
            " (PARTITION BY device_id, metric ORDER BY day) AS m3,"
            " day - lag(day) OVER (PARTITION BY device_id, metric ORDER BY day) AS gap"
            " FROM daily)"
            " SELECT district_id, day, sum(greatest(m3, 0)) FROM used"
            " WHERE gap = 1 GROUP BY district_id, day ORDER BY district_id, day",
            [offset, US_PER_DAY, WATER_METRICS, start, end, list(district_ids)],
        ).fetchall()
    epoch = dt.date(1970, 1, 1)
    return pd.DataFrame(
        {
            "unique_id": [str(district) for district, _day, _m3 in rows],
            "ds": pd.to_datetime([epoch + dt.timedelta(days=int(day)) for _d, day, _m3 in rows]),
            "y": [float(m3) for _d, _day, m3 in rows],
        }
    )


@dataclass
class ForecastResult:
    made: int = 0
    skipped: dict[str, str] = field(default_factory=dict)


def _days(values: pd.Series) -> list[str]:
    return [day.date().isoformat() for day in values]


def _rounded(values: pd.Series) -> list[float]:
    return [round(float(v), 3) for v in values]


@transaction.atomic
def forecasts_make(
    *,
    district_ids: Sequence[int],
    days: int = 56,
    horizon: int = 30,
    now: dt.datetime | None = None,
    uri: str | None = None,
) -> ForecastResult:
    """Forecast each district's daily water use; a district with too short a history is
    skipped with the reason."""
    now = now or timezone.now()
    history = district_daily(district_ids=district_ids, days=days, now=now, uri=uri)
    result = ForecastResult()
    for district_id, series in history.groupby("unique_id"):
        try:
            ahead = forecast_daily(series, horizon=horizon)
        except SeriesError as exc:
            result.skipped[str(district_id)] = str(exc)
            continue
        Forecast.objects.create(
            district_id=int(str(district_id)),
            history={"days": _days(series["ds"]), "m3": _rounded(series["y"])},
            forecast={
                "days": _days(ahead["ds"]),
                "yhat": _rounded(ahead["yhat"]),
                "lo": _rounded(ahead["lo"]),
                "hi": _rounded(ahead["hi"]),
                "level": LEVEL,
            },
        )
        result.made += 1
    return result
