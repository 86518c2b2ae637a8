"""The telemetry table: two writer processes at once lose nothing, on a local disk and on S3;
reads count duplicates once."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from multiprocessing.synchronize import Barrier

import pyarrow as pa
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from gorod.telemetry import conf, table
from tests.telemetry.s3 import S3Server

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


def write(uri: str, writer: int, environment: dict[str, str], start: Barrier) -> None:
    """A writer process, configured by its environment only (as an ingest worker would be)."""
    os.environ.update(environment)
    for n in range(BATCHES):
        start.wait(timeout=60)  # both writers reach for the same log version
        table.append(uri, batch(writer, n))


def run_two_writers(uri: str, environment: dict[str, str]) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    writers = [context.Process(target=write, args=(uri, w, environment, start)) for w in (0, 1)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(timeout=120)
    assert [p.exitcode for p in writers] == [0, 0]


def assert_every_reading_once(uri: str) -> None:
    total = 2 * BATCHES * ROWS
    with table.connect(uri, storage_options=conf.storage_options()) as con:
        row = con.execute(
            "SELECT count(*), count(DISTINCT value), min(value), max(value) FROM readings_raw"
        ).fetchone()
    assert row == (total, total, 0.0, float(total - 1))


def test_two_writer_processes_lose_nothing(telemetry_table: str) -> None:
    run_two_writers(telemetry_table, {})
    assert_every_reading_once(telemetry_table)


def test_two_writer_processes_on_s3_lose_nothing(s3_table: str, s3_server: S3Server) -> None:
    refused = s3_server.refused
    run_two_writers(s3_table, s3_server.options())  # as AWS_* environment variables
    assert_every_reading_once(s3_table)
    log = s3_server.keys(s3_table.removeprefix("s3://").split("/")[0], "telemetry/_delta_log/")
    assert len([k for k in log if k.endswith(".json")]) == 2 * BATCHES
    # The writers did race: a commit lost the race for a version (412) and went to the next.
    assert s3_server.refused > refused


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


def test_an_empty_s3_table_reads_as_empty(s3_table: str) -> None:
    with table.connect(s3_table, storage_options=conf.storage_options()) as con:
        assert con.execute("SELECT count(*) FROM readings").fetchone() == (0,)
    assert table.days(s3_table, storage_options=conf.storage_options()) == []


def test_s3_commits_are_conditional_puts() -> None:
    assert table.options("s3://city/telemetry", None) == {"conditional_put": "etag"}
    assert table.options("s3://city/telemetry", {"AWS_REGION": "ru-1"}) == {
        "AWS_REGION": "ru-1",
        "conditional_put": "etag",
    }
    assert table.options("s3://city/t", {"aws_conditional_put": "etag"}) == {
        "aws_conditional_put": "etag"
    }
    assert table.options("/var/gorod/telemetry", None) is None


def test_storage_options_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with override_settings(GOROD_TELEMETRY_STORAGE_OPTIONS=None):
        monkeypatch.delenv("GOROD_TELEMETRY_STORAGE_OPTIONS", raising=False)
        assert conf.storage_options() == {}
        monkeypatch.setenv("GOROD_TELEMETRY_STORAGE_OPTIONS", '{"AWS_REGION": "ru-1"}')
        assert conf.storage_options() == {"AWS_REGION": "ru-1"}
        for bad in ("{nope", '["AWS_REGION"]', '{"AWS_ALLOW_HTTP": true}'):
            monkeypatch.setenv("GOROD_TELEMETRY_STORAGE_OPTIONS", bad)
            with pytest.raises(ImproperlyConfigured, match="GOROD_TELEMETRY_STORAGE_OPTIONS"):
                conf.storage_options()


def test_malformed_storage_options_stop_the_start() -> None:
    environment = os.environ | {"GOROD_TELEMETRY_STORAGE_OPTIONS": '{"timeout": 30}'}
    finished = subprocess.run(
        [sys.executable, "-m", "gorod.cli", "check"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode != 0
    assert "GOROD_TELEMETRY_STORAGE_OPTIONS: a JSON object" in finished.stderr
