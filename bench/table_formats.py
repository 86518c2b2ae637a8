"""Delta Lake (deltalake) against Iceberg (pyiceberg, SQL catalog) on the telemetry workload.

    .venv/bin/python bench/table_formats.py [--rows 1000000] [--batches 10000,100000,1000000]

For each format, in a fresh temporary directory: appends of batches of several sizes
(readings of one day, partitioned by day); two processes appending at once (every row must
be there at the end); a DuckDB read (count and a grouped sum over an Arrow dataset of the
table); compaction of the small files. Prints one JSON object of figures; asserts nothing
about time. The figures behind docs/telemetry-table.md come from this script.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY_US = 86_400_000_000
START_US = 1_772_323_200_000_000  # 2026-03-01T00:00:00Z


def readings(n: int, *, seed: int, day: int = 0) -> pa.Table:
    """``n`` readings of one day from 10,000 meters."""
    rng = np.random.default_rng(seed)
    devices = rng.integers(0, 10_000, n)
    ts = START_US + day * DAY_US + rng.integers(0, DAY_US, n)
    table = pa.table(
        {
            "device_id": pa.array([f"wm-{d:06d}" for d in devices], pa.string()),
            "metric": pa.array(["water_cold_m3"] * n, pa.string()),
            "ts": pa.array(ts, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "value": rng.random(n) * 100,
            "district_id": pa.array(devices % 125, pa.int32()),
            "building_id": pa.array(devices // 50, pa.int64()),
        }
    )
    day_column = pc.cast(pc.floor_temporal(table["ts"], unit="day"), pa.date32())
    return table.append_column("day", day_column)


# --- Delta Lake ---------------------------------------------------------------------------


def delta_append(uri: str, data: pa.Table) -> None:
    from deltalake import CommitProperties, write_deltalake

    write_deltalake(
        uri,
        data,
        mode="append",
        partition_by=["day"],
        commit_properties=CommitProperties(max_commit_retries=50),
    )


def delta_dataset(uri: str) -> Any:
    from deltalake import DeltaTable

    return DeltaTable(uri).to_pyarrow_dataset()


def delta_compact(uri: str) -> dict[str, Any]:
    from deltalake import DeltaTable

    metrics = DeltaTable(uri).optimize.compact()
    return {"files_removed": metrics["numFilesRemoved"], "files_added": metrics["numFilesAdded"]}


def delta_files(uri: str) -> int:
    from deltalake import DeltaTable

    return len(DeltaTable(uri).file_uris())


# --- Iceberg --------------------------------------------------------------------------------


def _catalog(uri: str) -> Any:
    from pyiceberg.catalog.sql import SqlCatalog

    root = Path(uri)
    root.mkdir(parents=True, exist_ok=True)
    return SqlCatalog(
        "bench", uri=f"sqlite:///{root / 'catalog.db'}", warehouse=f"file://{root / 'warehouse'}"
    )


def _iceberg_table(uri: str, schema: pa.Schema) -> Any:
    from pyiceberg.exceptions import NamespaceAlreadyExistsError, TableAlreadyExistsError
    from pyiceberg.transforms import IdentityTransform

    catalog = _catalog(uri)
    with contextlib.suppress(NamespaceAlreadyExistsError):
        catalog.create_namespace("telemetry")
    try:
        table = catalog.create_table("telemetry.readings", schema=schema)
    except TableAlreadyExistsError:
        return catalog.load_table("telemetry.readings")
    with table.update_spec() as update:
        # Hidden day(ts) partitioning needs the pyiceberg-core extension; an identity
        # partition on the stored ``day`` column is the same layout Delta gets.
        update.add_field("day", IdentityTransform(), "day")
    return catalog.load_table("telemetry.readings")


def iceberg_append(uri: str, data: pa.Table) -> None:
    from pyiceberg.exceptions import CommitFailedException

    rows = data
    for _attempt in range(50):
        table = _iceberg_table(uri, data.schema)
        try:
            table.append(rows)
        except CommitFailedException:
            time.sleep(0.02)
        else:
            return
    raise RuntimeError("iceberg: no commit after 50 attempts")


def iceberg_dataset(uri: str) -> Any:
    import pyarrow.dataset as ds

    table = _catalog(uri).load_table("telemetry.readings")
    files = [task.file.file_path.removeprefix("file://") for task in table.scan().plan_files()]
    return ds.dataset(files, format="parquet")


def iceberg_compact(uri: str) -> dict[str, Any]:
    # pyiceberg 0.12 has no compaction: rewrite the snapshot as one overwrite.
    table = _catalog(uri).load_table("telemetry.readings")
    data = table.scan().to_arrow()
    table.overwrite(data)
    return {"rewritten_rows": len(data)}


def iceberg_files(uri: str) -> int:
    table = _catalog(uri).load_table("telemetry.readings")
    return len(list(table.scan().plan_files()))


FORMATS: dict[str, dict[str, Callable[..., Any]]] = {
    "delta": {
        "append": delta_append,
        "dataset": delta_dataset,
        "compact": delta_compact,
        "files": delta_files,
    },
    "iceberg": {
        "append": iceberg_append,
        "dataset": iceberg_dataset,
        "compact": iceberg_compact,
        "files": iceberg_files,
    },
}


def _writer(name: str, uri: str, batches: int, size: int, seed: int) -> None:
    for i in range(batches):
        FORMATS[name]["append"](uri, readings(size, seed=seed * 1000 + i, day=i % 3))


def measure(
    name: str, *, sizes: list[int], concurrent_batches: int, concurrent_size: int
) -> dict[str, Any]:
    ops = FORMATS[name]
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        uri = str(Path(tmp) / "table")
        total = 0
        for size in sizes:
            data = readings(size, seed=size)
            started = time.perf_counter()
            ops["append"](uri, data)
            elapsed = time.perf_counter() - started
            total += size
            out[f"append_{size}_s"] = round(elapsed, 3)
            out[f"append_{size}_rows_per_s"] = round(size / elapsed)
        # Many small appends (the ingest worker's micro-batches), then compaction.
        started = time.perf_counter()
        for i in range(20):
            ops["append"](uri, readings(5_000, seed=10_000 + i, day=1))
        out["append_20x5000_s"] = round(time.perf_counter() - started, 3)
        total += 100_000
        # Two writer processes at once.
        context = multiprocessing.get_context("spawn")
        started = time.perf_counter()
        workers = [
            context.Process(
                target=_writer, args=(name, uri, concurrent_batches, concurrent_size, seed)
            )
            for seed in (1, 2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        out["two_writers_s"] = round(time.perf_counter() - started, 3)
        out["two_writers_exit_codes"] = [w.exitcode for w in workers]
        total += 2 * concurrent_batches * concurrent_size
        out["files_before_compaction"] = ops["files"](uri)
        started = time.perf_counter()
        con = duckdb.connect()
        con.register("r", ops["dataset"](uri))
        count = con.execute("SELECT count(*) FROM r").fetchone()
        grouped = con.execute(
            "SELECT district_id, sum(value) FROM r WHERE day = DATE '2026-03-02' GROUP BY 1"
        ).fetchall()
        out["duckdb_read_s"] = round(time.perf_counter() - started, 3)
        out["rows_expected"] = total
        out["rows_found"] = count[0] if count else None
        out["groups"] = len(grouped)
        started = time.perf_counter()
        out["compaction"] = ops["compact"](uri)
        out["compaction_s"] = round(time.perf_counter() - started, 3)
        out["files_after_compaction"] = ops["files"](uri)
        started = time.perf_counter()
        con.register("r", ops["dataset"](uri))
        con.execute("SELECT count(*) FROM r").fetchone()
        out["duckdb_read_after_compaction_s"] = round(time.perf_counter() - started, 3)
        out["disk_bytes"] = sum(p.stat().st_size for p in Path(uri).rglob("*") if p.is_file())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--concurrent-batches", type=int, default=10)
    parser.add_argument("--concurrent-size", type=int, default=20_000)
    parser.add_argument("--formats", default="delta,iceberg")
    arguments = parser.parse_args()
    sizes = [int(s) for s in arguments.sizes.split(",")]
    figures = {
        name: measure(
            name,
            sizes=sizes,
            concurrent_batches=arguments.concurrent_batches,
            concurrent_size=arguments.concurrent_size,
        )
        for name in arguments.formats.split(",")
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
