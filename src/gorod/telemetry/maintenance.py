"""Roll-ups, retention and compaction of the telemetry table (``gorod telemetry maintain``).

- ``rollup``: hourly and daily segments (``table.ROLLUP_SCHEMA``) of every complete local day
  not rolled up yet, and again of the last ``conf.late_days()`` rolled-up days, for readings
  that came late. Each day is replaced in one commit, so a run can stop anywhere.
- ``retain``: drops raw day partitions older than ``conf.raw_days()``, never a day that a
  later roll-up run may still need to read.
- ``compact``: rewrites each past day partition made of several files as one file sorted by
  district, device, metric and time, with duplicates removed; then vacuums files no snapshot
  younger than ``vacuum_hours`` refers to.

Safe beside running writers: appends never conflict with these commits; a compaction that
loses a race to a writer's append is skipped and done by the next run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from deltalake.exceptions import CommitFailedError
from django.utils import timezone

from gorod.telemetry import conf, queries, table

VACUUM_HOURS = 24


@dataclass
class Report:
    rolled_up_days: list[str] = field(default_factory=list)
    dropped_days: list[str] = field(default_factory=list)
    compacted_days: list[str] = field(default_factory=list)
    skipped_days: list[str] = field(default_factory=list)
    files_removed: int = 0


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def rollup(*, now: dt.datetime | None = None, report: Report | None = None) -> Report:
    """Roll up every complete local day from the watermark (less the late days) to yesterday."""
    report = report or Report()
    uri = conf.table_uri()
    zone = ZoneInfo(conf.time_zone())
    raw_days = table.days(uri)
    if not raw_days:
        return report
    today = (now or timezone.now()).astimezone(zone).date()
    mark = queries.watermark()
    with table.connect(uri, time_zone=conf.time_zone()) as con:
        earliest = dt.date.fromisoformat(raw_days[0]) - dt.timedelta(days=1)
        day = max(mark - dt.timedelta(days=conf.late_days()), earliest)
        while day < today:
            params = {
                "from": _local_midnight(day, zone),
                "to": _local_midnight(day + dt.timedelta(days=1), zone),
                "from_day": day,
                "to_day": day,
                "watermark": day,
            }
            for kind, unit in (("hourly", "hour"), ("daily", "day")):
                rows = con.sql(
                    f"SELECT *, CAST(date_trunc('day', bucket) AS DATE) AS day "  # noqa: S608
                    f"FROM ({queries.raw_segments(unit, 'TRUE')})",
                    params=params,
                ).to_arrow_table()
                table.replace_days(
                    table.rollup_uri(uri, kind),
                    _rollup_rows(rows),
                    first=day.isoformat(),
                    last=day.isoformat(),
                    metadata={table.ROLLED_UP_KEY: day.isoformat()},
                )
            report.rolled_up_days.append(day.isoformat())
            day += dt.timedelta(days=1)
    return report


def _rollup_rows(rows: pa.Table) -> pa.Table:
    columns = {
        name: rows[name].cast(pa_field.type)
        for name, pa_field in zip(table.ROLLUP_SCHEMA.names, table.ROLLUP_SCHEMA, strict=True)
    }
    return pa.table(columns, schema=table.ROLLUP_SCHEMA)


def retain(*, now: dt.datetime | None = None, report: Report | None = None) -> Report:
    """Drop raw days older than the retention that are rolled up and past the late window."""
    report = report or Report()
    uri = conf.table_uri()
    delta = table.open_table(uri)
    if delta is None:
        return report
    mark = queries.watermark()
    today = (now or timezone.now()).date()
    # A local day spans two UTC days: keep one more than the roll-up may read.
    safe = mark - dt.timedelta(days=conf.late_days() + 1)
    cutoff = min(today - dt.timedelta(days=conf.raw_days()), safe)
    doomed = [d for d in table.days(uri) if dt.date.fromisoformat(d) < cutoff]
    if doomed:
        delta.delete(predicate=f"day < '{cutoff.isoformat()}'")
        report.dropped_days.extend(doomed)
    return report


def compact(
    *,
    now: dt.datetime | None = None,
    vacuum_hours: int = VACUUM_HOURS,
    report: Report | None = None,
) -> Report:
    """One sorted, de-duplicated file per past day partition that has several."""
    report = report or Report()
    uri = conf.table_uri()
    delta = table.open_table(uri)
    if delta is None:
        return report
    today = (now or timezone.now()).date()
    actions = pa.table(delta.get_add_actions(flatten=True))
    days = pc.cast(actions["partition.day"], pa.string())
    counts = actions.append_column("d", days).group_by("d").aggregate([("path", "count")])
    crowded = sorted(
        d
        for d, n in zip(counts["d"].to_pylist(), counts["path_count"].to_pylist(), strict=True)
        if n > 1 and dt.date.fromisoformat(d) < today
    )
    for day in crowded:
        with table.connect(uri) as con:
            rows = con.sql(
                "SELECT * FROM readings_raw WHERE day = $day "
                "QUALIFY row_number() OVER (PARTITION BY device_id, metric, ts) = 1 "
                "ORDER BY district_id, device_id, metric, ts",
                params={"day": dt.date.fromisoformat(day)},
            ).to_arrow_table()
        try:
            table.replace_days(uri, rows.cast(table.SCHEMA), first=day, last=day)
        except CommitFailedError:
            report.skipped_days.append(day)
        else:
            report.compacted_days.append(day)
    fresh = table.open_table(uri)
    if fresh is not None:
        removed = fresh.vacuum(
            retention_hours=vacuum_hours, enforce_retention_duration=False, dry_run=False
        )
        report.files_removed = len(removed)
    return report


def maintain(*, now: dt.datetime | None = None, vacuum_hours: int = VACUUM_HOURS) -> Report:
    """Roll up, then drop old raw days, then compact."""
    report = rollup(now=now)
    retain(now=now, report=report)
    compact(now=now, vacuum_hours=vacuum_hours, report=report)
    return report
