"""The telemetry table: readings in Delta Lake on Parquet, partitioned by day, read by DuckDB.

Why Delta Lake and not Iceberg: docs/telemetry-table.md (with figures). Every writer process
appends its own files and commits with delta-rs's optimistic protocol; two appends never
conflict, and a lost commit race is retried here. Duplicates (one reading delivered twice)
are allowed in the files and removed at read time (:func:`connect`'s ``readings`` view) and
by compaction (``maintenance.py``).

No Django import: the location and the object store's options are passed in
(``conf.table_uri()`` and ``conf.storage_options()`` give the configured ones). On S3 every
commit is a conditional put (:func:`options`), which is what makes several writer processes
safe there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import CommitFailedError, TableNotFoundError

from gorod.errors import ApplicationError


class Unavailable(ApplicationError):
    """The table cannot be read or written now: its store is down or refuses us (a missing
    bucket, wrong credentials). Nothing was changed; the caller may try again."""

    status = 503


SCHEMA = pa.schema(
    [
        pa.field("device_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("district_id", pa.int32(), nullable=True),
        pa.field("building_id", pa.int64(), nullable=True),
        pa.field("day", pa.date32(), nullable=False),
    ]
)
"""The stored row. ``district_id`` and ``building_id`` are copied from the device registry at
ingestion so that city queries need no join; ``day`` (UTC) is the partition."""

ROLLUP_SCHEMA = pa.schema(
    [
        pa.field("device_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("district_id", pa.int32()),
        pa.field("building_id", pa.int64()),
        pa.field("bucket", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("n", pa.int64(), nullable=False),
        pa.field("total", pa.float64(), nullable=False),
        pa.field("low", pa.float64(), nullable=False),
        pa.field("high", pa.float64(), nullable=False),
        pa.field("first", pa.float64(), nullable=False),
        pa.field("first_ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("last", pa.float64(), nullable=False),
        pa.field("last_ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("increase", pa.float64(), nullable=False),
        pa.field("day", pa.date32(), nullable=False),
    ]
)
"""One device-metric-bucket of a roll-up (``<table>-hourly``, ``<table>-daily``): count, sum,
min, max, first and last (with their times), and ``increase``, the sum of the rises between
consecutive readings inside the bucket (a fall counts as a meter reset: the new value is the
rise). ``day`` is the bucket's local day, the partition."""

ROLLUPS = ("hourly", "daily")
KEY = ("device_id", "metric", "ts")
COMMIT_RETRIES = 20
TARGET_FILE_BYTES = 128 * 1024 * 1024


S3_SCHEMES = ("s3://", "s3a://")
CONDITIONAL_PUT_KEYS = {"conditional_put", "aws_conditional_put"}


def options(uri: str, storage_options: dict[str, str] | None) -> dict[str, str] | None:
    """The options delta-rs opens ``uri`` with.

    On S3 a commit is the creation of the log entry ``_delta_log/<version>.json`` with
    ``If-None-Match: *`` (``conditional_put = etag``): of two writers racing for a version
    one gets 412 Precondition Failed and retries on the next version, where a plain put would
    let the second overwrite the first's commit and lose its files. delta-rs 1.x does this by
    default on S3; it is stated here so that a change of that default cannot undo it. The
    store must support conditional writes (AWS S3 since 2024, MinIO, Cloudflare R2, Ceph).
    """
    if not uri.startswith(S3_SCHEMES):
        return storage_options
    given = dict(storage_options or {})
    if not CONDITIONAL_PUT_KEYS & {key.lower() for key in given}:
        given["conditional_put"] = "etag"
    return given


def writer_properties(*, level: int = 3) -> WriterProperties:
    """Zstandard: level 1 for the ingest path's appends (speed), 3 when files are rewritten."""
    return WriterProperties(
        compression="ZSTD", compression_level=level, max_row_group_size=1024 * 1024
    )


def with_day(readings: pa.Table) -> pa.Table:
    """The stored shape: the schema's columns in order, with ``day`` derived from ``ts``."""
    day = pc.cast(pc.floor_temporal(readings["ts"], unit="day"), pa.date32())
    columns = {
        name: readings[name] if name in readings.column_names else pa.nulls(len(readings))
        for name in SCHEMA.names
        if name != "day"
    }
    columns["day"] = day
    return pa.table(columns).cast(SCHEMA)


def append(uri: str, readings: pa.Table, *, storage_options: dict[str, str] | None = None) -> None:
    """Append readings durably (returns after the commit); safe beside other writer processes."""
    if len(readings) == 0:
        return
    append_rows(uri, with_day(readings), storage_options=storage_options)


def append_rows(uri: str, rows: pa.Table, *, storage_options: dict[str, str] | None = None) -> None:
    """Append rows already in the stored shape, retrying a lost commit race."""
    for attempt in range(COMMIT_RETRIES):
        try:
            _append(uri, rows, level=1, storage_options=storage_options)
        except CommitFailedError:
            # Another writer created the table or won the commit race: read the log again.
            time.sleep(0.01 * (attempt + 1))
        else:
            return
    raise CommitFailedError(f"could not commit to {uri} after {COMMIT_RETRIES} attempts")


def _append(
    uri: str,
    rows: pa.Table,
    *,
    level: int = 3,
    metadata: dict[str, str] | None = None,
    storage_options: dict[str, str] | None = None,
) -> None:
    write_deltalake(
        uri,
        rows,
        mode="append",
        partition_by=["day"],
        storage_options=options(uri, storage_options),
        writer_properties=writer_properties(level=level),
        commit_properties=CommitProperties(
            max_commit_retries=COMMIT_RETRIES, custom_metadata=metadata
        ),
    )


def open_table(uri: str, *, storage_options: dict[str, str] | None = None) -> DeltaTable | None:
    try:
        return DeltaTable(uri, storage_options=options(uri, storage_options))
    except TableNotFoundError:
        return None


def dataset(uri: str, *, storage_options: dict[str, str] | None = None) -> ds.Dataset:
    """The current snapshot as an Arrow dataset (empty if nothing was written yet)."""
    table = open_table(uri, storage_options=storage_options)
    if table is None:
        return ds.dataset(SCHEMA.empty_table())
    return table.to_pyarrow_dataset()


def rollup_uri(uri: str, kind: str) -> str:
    """Where a roll-up lives: beside the raw table (``var/telemetry-daily``)."""
    return f"{uri.rstrip('/')}-{kind}"


def replace_days(
    uri: str,
    rows: pa.Table,
    *,
    first: str,
    last: str,
    metadata: dict[str, str] | None = None,
    storage_options: dict[str, str] | None = None,
) -> None:
    """Replace the partitions ``first``..``last`` (ISO days) with ``rows``, in one commit
    (made even when ``rows`` is empty, so that ``metadata`` is recorded)."""
    if open_table(uri, storage_options=storage_options) is None:
        _append(uri, rows, metadata=metadata, storage_options=storage_options)
        return
    commit = CommitProperties(max_commit_retries=COMMIT_RETRIES, custom_metadata=metadata)
    write_deltalake(
        uri,
        rows,
        mode="overwrite",
        predicate=f"day >= '{first}' AND day <= '{last}'",
        partition_by=["day"],
        storage_options=options(uri, storage_options),
        writer_properties=writer_properties(),
        commit_properties=commit,
    )


ROLLED_UP_KEY = "gorod.rolled_up_day"


def rolled_up_through(uri: str, *, storage_options: dict[str, str] | None = None) -> str | None:
    """The last local day the roll-up recorded (its runs go day by day, oldest first)."""
    daily = open_table(rollup_uri(uri, "daily"), storage_options=storage_options)
    if daily is None:
        return None
    for commit in daily.history(limit=1):
        day = commit.get(ROLLED_UP_KEY)
        if isinstance(day, str):
            return day
    return None


def _expose(
    con: duckdb.DuckDBPyConnection,
    name: str,
    uri: str,
    schema: pa.Schema,
    *,
    storage_options: dict[str, str] | None = None,
) -> None:
    """The table's current snapshot as the view ``name``.

    On a local disk DuckDB reads the snapshot's Parquet files itself (its reader skips row
    groups by their statistics and is many times faster than an Arrow scan); elsewhere (an
    object store, where DuckDB would need an extension it cannot download here) and for a
    table not written yet, through an Arrow dataset.
    """
    table = open_table(uri, storage_options=storage_options)
    files = table.file_uris() if table is not None else []
    if files and all(f.startswith("file://") or "://" not in f for f in files):
        paths = ", ".join("'" + f.removeprefix("file://").replace("'", "''") + "'" for f in files)
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {', '.join(schema.names)} "  # noqa: S608
            f"FROM read_parquet([{paths}], hive_partitioning = true, "
            "hive_types = {'day': DATE})"
        )
        return
    data = ds.dataset(schema.empty_table()) if table is None else table.to_pyarrow_dataset()
    con.register(f"{name}_arrow", data)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {name}_arrow")  # noqa: S608


@contextmanager
def connect(
    uri: str,
    *,
    storage_options: dict[str, str] | None = None,
    threads: int | None = None,
    time_zone: str = "UTC",
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with ``readings_raw`` (as stored), ``readings`` (once each), and
    the roll-ups ``hourly`` and ``daily``. ``time_zone`` is where calendar buckets start."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = ?", [time_zone])
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        _expose(con, "readings_raw", uri, SCHEMA, storage_options=storage_options)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW readings AS SELECT * FROM readings_raw "
            "QUALIFY row_number() OVER (PARTITION BY device_id, metric, ts) = 1"
        )
        for kind in ROLLUPS:
            _expose(
                con, kind, rollup_uri(uri, kind), ROLLUP_SCHEMA, storage_options=storage_options
            )
        yield con
    finally:
        con.close()


def days(uri: str, *, storage_options: dict[str, str] | None = None) -> Sequence[str]:
    """The day partitions present, oldest first (``YYYY-MM-DD``)."""
    table = open_table(uri, storage_options=storage_options)
    if table is None:
        return []
    return sorted({str(p["day"]) for p in table.partitions()})
