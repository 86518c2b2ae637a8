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
loses a race to a writer's append is skipped and done by the next run. Two runs on one table
do not overlap: ``exclusive`` is a PostgreSQL advisory lock (shared by every host using the
database; released by the server if the process dies) or, on SQLite, a file lock.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
from deltalake.exceptions import CommitFailedError
from django.conf import settings
from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
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


@contextmanager
def exclusive(*, connection: BaseDatabaseWrapper | None = None) -> Iterator[bool]:
    """Take the maintenance lock of the configured table without waiting: yields whether it
    was taken (False: another run holds it), and releases it at the end."""
    uri = conf.table_uri()
    name = hashlib.sha256(f"gorod.telemetry.maintain:{uri}".encode()).digest()
    database = connection or default_connection
    if database.vendor == "postgresql":
        key = int.from_bytes(name[:8], "big", signed=True)
        with database.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
            row = cursor.fetchone()
        taken = bool(row and row[0])
        try:
            yield taken
        finally:
            if taken:
                with database.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        return
    # SQLite is one host's database: a file lock beside a local table, or in var/.
    if "://" in uri:
        path = Path(settings.VAR_DIR) / f"telemetry-maintain-{name.hex()[:16]}.lock"
    else:
        path = Path(f"{uri.rstrip('/')}.maintain.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def rollup(*, now: dt.datetime | None = None, report: Report | None = None) -> Report:
    """Roll up every complete local day from the watermark (less the late days) to yesterday."""
    report = report or Report()
    uri, store = conf.table_uri(), conf.storage_options()
    zone = ZoneInfo(conf.time_zone())
    raw_days = table.days(uri, storage_options=store)
    if not raw_days:
        return report
    today = (now or timezone.now()).astimezone(zone).date()
    mark = queries.watermark()
    with table.connect(uri, storage_options=store, time_zone=conf.time_zone()) as con:
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
                    storage_options=store,
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
    uri, store = conf.table_uri(), conf.storage_options()
    delta = table.open_table(uri, storage_options=store)
    if delta is None:
        return report
    mark = queries.watermark()
    today = (now or timezone.now()).date()
    # A local day spans two UTC days: keep one more than the roll-up may read.
    safe = mark - dt.timedelta(days=conf.late_days() + 1)
    cutoff = min(today - dt.timedelta(days=conf.raw_days()), safe)
    doomed = [
        d for d in table.days(uri, storage_options=store) if dt.date.fromisoformat(d) < cutoff
    ]
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
    uri, store = conf.table_uri(), conf.storage_options()
    delta = table.open_table(uri, storage_options=store)
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
        with table.connect(uri, storage_options=store) as con:
            rows = con.sql(
                "SELECT * FROM readings_raw WHERE day = $day "
                "QUALIFY row_number() OVER (PARTITION BY device_id, metric, ts) = 1 "
                "ORDER BY district_id, device_id, metric, ts",
                params={"day": dt.date.fromisoformat(day)},
            ).to_arrow_table()
        try:
            table.replace_days(
                uri, rows.cast(table.SCHEMA), first=day, last=day, storage_options=store
            )
        except CommitFailedError:
            report.skipped_days.append(day)
        else:
            report.compacted_days.append(day)
    fresh = table.open_table(uri, storage_options=store)
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
