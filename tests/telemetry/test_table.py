"""The telemetry table: two writer processes at once lose nothing; reads count duplicates once."""

from __future__ import annotations

import multiprocessing

import pyarrow as pa

from gorod.telemetry import table

BATCHES = 8
ROWS = 500
START_US = 1_772_323_200_000_000  # 2026-03-01T00:00:00Z


def batch(writer: int, n: int) -> pa.Table:
    first = (writer * BATCHES + n) * ROWS
    return pa.table(
        {
            "device_id": [f"wm-{writer}"] * ROWS,
            "metric": ["water_cold_m3"] * ROWS,
            "ts": pa.array(
                [START_US + (first + i) * 60_000_000 for i in range(ROWS)], pa.int64()
            ).cast(pa.timestamp("us", tz="UTC")),
            "value": [float(first + i) for i in range(ROWS)],
            "district_id": pa.array([1] * ROWS, pa.int32()),
            "building_id": pa.array([1] * ROWS, pa.int64()),
        }
    )


def write(uri: str, writer: int) -> None:
    for n in range(BATCHES):
        table.append(uri, batch(writer, n))


def test_two_writer_processes_lose_nothing(telemetry_table: str) -> None:
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=write, args=(telemetry_table, w)) for w in (0, 1)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
    assert [p.exitcode for p in writers] == [0, 0]
    total = 2 * BATCHES * ROWS
    with table.connect(telemetry_table) as con:
        row = con.execute(
            "SELECT count(*), count(DISTINCT value), min(value), max(value) FROM readings_raw"
        ).fetchone()
    assert row == (total, total, 0.0, float(total - 1))


def test_a_batch_appended_twice_is_read_once(telemetry_table: str) -> None:
    table.append(telemetry_table, batch(0, 0))
    table.append(telemetry_table, batch(0, 0))
    with table.connect(telemetry_table) as con:
        assert con.execute("SELECT count(*) FROM readings_raw").fetchone() == (2 * ROWS,)
        assert con.execute("SELECT count(*), sum(value) FROM readings").fetchone() == (
            ROWS,
            float(sum(range(ROWS))),
        )


def test_an_empty_table_reads_as_empty(telemetry_table: str) -> None:
    with table.connect(telemetry_table) as con:
        assert con.execute("SELECT count(*) FROM readings").fetchone() == (0,)
    assert table.days(telemetry_table) == []
