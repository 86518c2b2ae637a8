"""Readings over time, read from the telemetry table by DuckDB.

Every query counts a reading once however often it was delivered (duplicates on
``(device_id, metric, ts)`` are dropped as the rows are read). Calendar buckets (hour, day,
month) start in the city's time zone (``conf.time_zone()``).

Days that ``maintenance.rollup`` has rolled up are read from the roll-ups, later days from
the raw readings, so a query gives the same answer before and after the raw readings of
old days are dropped. The first day not rolled up is the *watermark*.

Consumption of a cumulative meter in a bucket is the sum of the rises between its
consecutive readings, the first of which may lie in the bucket before; a fall is taken as a
meter reset (a replacement or a register rollover), after which the new value is the rise.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from deltalake.exceptions import DeltaError
from django.utils.translation import gettext as _

from gorod.telemetry import conf, table
from gorod.telemetry.metrics import CUMULATIVE

Bucket = Literal["raw", "hour", "day", "month"]
Level = Literal["device", "building", "district", "city"]
Format = Literal["json", "csv", "parquet"]

BUCKETS: tuple[Bucket, ...] = ("raw", "hour", "day", "month")
LEVELS: tuple[Level, ...] = ("device", "building", "district", "city")
_KEYS: dict[Level, str] = {
    "device": "device_id",
    "building": "building_id",
    "district": "district_id",
    "city": "",
}
DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
LOOKBACK = {"hour": dt.timedelta(days=1), "day": dt.timedelta(days=7)}
"""How far before the period a previous reading is looked for (the first bucket's rise)."""


@dataclass(frozen=True)
class Selection:
    """Which devices a query reads: None means no limit on that column; [] means none."""

    devices: Sequence[str] | None = None
    buildings: Sequence[int] | None = None
    districts: Sequence[int] | None = None

    def empty(self) -> bool:
        return any(v is not None and len(v) == 0 for v in self._lists())

    def _lists(self) -> tuple[Sequence[Any] | None, ...]:
        return (self.devices, self.buildings, self.districts)

    def where(self, params: dict[str, Any]) -> str:
        """The SQL condition. Ids are written into it as literals (integers, and device ids,
        which are topic-safe), so DuckDB can push the filter down into the Parquet scan."""
        clauses = ["metric = $metric"]
        if self.devices is not None:
            if not all(DEVICE_ID.match(d) for d in self.devices):
                raise ValueError("devices")
            clauses.append(f"device_id IN ({', '.join(repr(str(d)) for d in self.devices)})")
        for column, ids in (("building_id", self.buildings), ("district_id", self.districts)):
            if ids is not None:
                clauses.append(f"{column} IN ({', '.join(str(int(i)) for i in ids)})")
        return " AND ".join(clauses)


UNREADABLE = (OSError, DeltaError, duckdb.IOException, duckdb.HTTPException)
"""What reading a table whose store is down or refuses us raises (delta-rs, Arrow, DuckDB)."""


def _unavailable() -> table.Unavailable:
    return table.Unavailable(_("The telemetry table cannot be read now; try again later."))


@contextmanager
def _connect() -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        with table.connect(
            conf.table_uri(), storage_options=conf.storage_options(), time_zone=conf.time_zone()
        ) as con:
            yield con
    except UNREADABLE as exc:
        raise _unavailable() from exc


def _empty(level: Level, **figures: pa.DataType) -> pa.Table:
    """No rows, in the shape a query of ``level`` answers with."""
    columns: dict[str, pa.DataType] = {"bucket": pa.timestamp("us", tz="UTC")}
    if _KEYS[level]:
        columns[_KEYS[level]] = pa.string() if level == "device" else pa.int64()
    return pa.schema(list((columns | figures).items())).empty_table()


def watermark() -> dt.date:
    """The first local day not rolled up (every earlier day is)."""
    try:
        through = table.rolled_up_through(conf.table_uri(), storage_options=conf.storage_options())
    except UNREADABLE as exc:
        raise _unavailable() from exc
    if through is None:
        return dt.date(1970, 1, 1)
    return dt.date.fromisoformat(through) + dt.timedelta(days=1)


def raw_segments(unit: str, where: str) -> str:
    """Per device-metric-``unit`` segments (``table.ROLLUP_SCHEMA`` without ``day``) of the raw
    readings in [$from, $to) on local days from $watermark."""
    return f"""
    SELECT device_id, metric, any_value(district_id) AS district_id,
           any_value(building_id) AS building_id, bucket,
           count(*) AS n, sum(value) AS total, min(value) AS low, max(value) AS high,
           arg_min(value, ts) AS first, min(ts) AS first_ts,
           arg_max(value, ts) AS last, max(ts) AS last_ts,
           coalesce(sum(CASE WHEN prev IS NULL THEN 0 WHEN value >= prev THEN value - prev
                        ELSE value END), 0) AS increase
    FROM (
        SELECT *, lag(value) OVER (PARTITION BY device_id, metric, bucket ORDER BY ts) AS prev
        FROM (
            SELECT device_id, metric, ts, value, district_id, building_id,
                   date_trunc('{unit}', ts) AS bucket
            FROM readings_raw
            WHERE {where} AND day >= $from_day - 1 AND day <= $to_day + 1
              AND day >= $watermark - 1 AND ts >= $from AND ts < $to
              AND CAST(date_trunc('day', ts) AS DATE) >= $watermark
            QUALIFY row_number() OVER (PARTITION BY device_id, metric, ts) = 1
        )
    )
    GROUP BY device_id, metric, bucket
    """  # noqa: S608 - the unit is ours, values are parameters


def _segments(unit: str, where: str) -> str:
    """Segments over [$from, $to): roll-ups before the watermark, raw readings from it."""
    rollup = "hourly" if unit == "hour" else "daily"
    return f"""
    SELECT device_id, metric, district_id, building_id, bucket, n, total, low, high,
           first, first_ts, last, last_ts, increase
    FROM {rollup}
    WHERE {where} AND day < $watermark AND day >= $from_day AND day <= $to_day
      AND bucket >= $from AND bucket < $to
    UNION ALL
    {raw_segments(unit, where)}
    """  # noqa: S608 - table names are ours


def _consumed(unit: str, where: str) -> str:
    """Segments with ``consumed``: the rise inside plus the rise from the previous segment."""
    return f"""
    SELECT *, increase + CASE
        WHEN lag(last) OVER w IS NULL THEN 0
        WHEN first >= lag(last) OVER w THEN first - lag(last) OVER w
        ELSE first END AS consumed
    FROM ({_segments(unit, where)})
    WINDOW w AS (PARTITION BY device_id, metric ORDER BY bucket)
    """  # noqa: S608


def _params(*, metric: str, start: dt.datetime, end: dt.datetime, unit: str) -> dict[str, Any]:
    lookback = LOOKBACK.get(unit, dt.timedelta(0))
    begin = start - lookback
    return {
        "metric": metric,
        "from": begin,
        "to": end,
        "start": start,
        "from_day": (begin - dt.timedelta(days=1)).date(),
        "to_day": (end + dt.timedelta(days=1)).date(),
        "watermark": watermark(),
    }


def history(
    *, device_id: str, metric: str, start: dt.datetime, end: dt.datetime, bucket: Bucket = "raw"
) -> pa.Table:
    """A device's readings of ``metric`` in [start, end): raw, or per hour, day or month with
    count, sum, avg, min, max, last and (cumulative meters) consumed."""
    with _connect() as con:
        if bucket == "raw":
            return con.sql(
                "SELECT ts, value FROM readings_raw "
                "WHERE device_id = $device AND metric = $metric "
                "AND day >= $from_day AND day <= $to_day AND ts >= $start AND ts < $end "
                "QUALIFY row_number() OVER (PARTITION BY device_id, metric, ts) = 1 "
                "ORDER BY ts",
                params={
                    "device": device_id,
                    "metric": metric,
                    "start": start,
                    "end": end,
                    "from_day": start.date() - dt.timedelta(days=1),
                    "to_day": end.date() + dt.timedelta(days=1),
                },
            ).to_arrow_table()
        unit = "hour" if bucket == "hour" else "day"
        params = _params(metric=metric, start=start, end=end, unit=unit)
        where = Selection(devices=[device_id]).where(params)
        consumed = "sum(consumed)" if metric in CUMULATIVE else "NULL::DOUBLE"
        sql = f"""
        SELECT date_trunc('{bucket}', bucket) AS bucket, sum(n)::BIGINT AS count, sum(total) AS sum,
               sum(total) / sum(n) AS avg, min(low) AS min, max(high) AS max,
               arg_max(last, last_ts) AS last, {consumed} AS consumed
        FROM ({_consumed(unit, where)})
        WHERE bucket >= $start
        GROUP BY 1 ORDER BY 1
        """  # noqa: S608
        return con.sql(sql, params=params).to_arrow_table()


def consumption(
    *,
    metric: str,
    start: dt.datetime,
    end: dt.datetime,
    bucket: Bucket = "month",
    level: Level = "district",
    selection: Selection | None = None,
) -> pa.Table:
    """Consumption of a cumulative ``metric`` per ``level`` and bucket in [start, end): the
    total, the number of devices, and the median and 90th percentile per device."""
    if metric not in CUMULATIVE:
        raise ValueError("metric")
    selection = selection or Selection()
    key = _KEYS[level]
    if selection.empty() or bucket == "raw":
        return _empty(
            level, consumed=pa.float64(), devices=pa.int64(), p50=pa.float64(), p90=pa.float64()
        )
    unit = "hour" if bucket == "hour" else "day"
    with _connect() as con:
        params = _params(metric=metric, start=start, end=end, unit=unit)
        where = selection.where(params)
        group = f", {key}" if key else ""
        sql = f"""
        WITH per_device AS (
            SELECT date_trunc('{bucket}', bucket) AS bucket, device_id,
                   any_value(building_id) AS building_id, any_value(district_id) AS district_id,
                   sum(consumed) AS consumed
            FROM ({_consumed(unit, where)})
            WHERE bucket >= $start
            GROUP BY 1, 2
        )
        SELECT bucket{group}, sum(consumed) AS consumed, count(*) AS devices,
               quantile_cont(consumed, 0.5) AS p50, quantile_cont(consumed, 0.9) AS p90
        FROM per_device
        GROUP BY bucket{group} ORDER BY bucket{group}
        """  # noqa: S608
        return con.sql(sql, params=params).to_arrow_table()


def aggregate(
    *,
    metric: str,
    start: dt.datetime,
    end: dt.datetime,
    bucket: Bucket = "day",
    level: Level = "district",
    selection: Selection | None = None,
) -> pa.Table:
    """Statistics of the values of ``metric`` per ``level`` and bucket in [start, end):
    count, sum, avg, min, max and the 50th, 90th and 99th percentiles (raw readings only,
    so within the raw retention)."""
    selection = selection or Selection()
    key = _KEYS[level]
    if selection.empty() or bucket == "raw":
        names = ("count", "sum", "avg", "min", "max", "p50", "p90", "p99")
        return _empty(level, **dict.fromkeys(names, pa.float64()))
    params: dict[str, Any] = {
        "metric": metric,
        "start": start,
        "end": end,
        "from_day": start.date() - dt.timedelta(days=1),
        "to_day": end.date() + dt.timedelta(days=1),
    }
    where = selection.where(params)
    group = f", {key}" if key else ""
    sql = f"""
    SELECT date_trunc('{bucket}', ts) AS bucket{group}, count(*) AS count, sum(value) AS sum,
           avg(value) AS avg, min(value) AS min, max(value) AS max,
           quantile_cont(value, 0.5) AS p50, quantile_cont(value, 0.9) AS p90,
           quantile_cont(value, 0.99) AS p99
    FROM (
        SELECT * FROM readings_raw
        WHERE {where} AND day >= $from_day AND day <= $to_day AND ts >= $start AND ts < $end
        QUALIFY row_number() OVER (PARTITION BY device_id, metric, ts) = 1
    )
    GROUP BY 1{group} ORDER BY 1{group}
    """  # noqa: S608
    with _connect() as con:
        return con.sql(sql, params=params).to_arrow_table()


def export(data: pa.Table, fmt: Format) -> bytes:
    """A query's result as CSV or Parquet bytes."""
    sink = io.BytesIO()
    if fmt == "parquet":
        pq.write_table(data, sink, compression="zstd")
    else:
        pa_csv.write_csv(data, sink)
    return sink.getvalue()
