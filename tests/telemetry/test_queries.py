"""Queries on a small known dataset, with exact numbers, before and after roll-up and retention.

Times are Moscow's (UTC+3): a reading at 00:30 on 1 March in Moscow is stored on the UTC
day of 28 February, yet counted in Moscow's 1 March. Each test runs on a table at a local
path and again on one in an S3 bucket (``s3_table``), read through an Arrow dataset there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.test import override_settings

from gorod.telemetry import conf, maintenance, queries, table

MSK = ZoneInfo("Europe/Moscow")
D1, D2 = 1, 2
MARCH = dt.datetime(2026, 3, 1, tzinfo=MSK)
APRIL = dt.datetime(2026, 4, 1, tzinfo=MSK)
AFTER = dt.datetime(2026, 3, 10, 12, 0, tzinfo=MSK)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=MSK)


# device, district, building, metric, time, value
ROWS = [
    # A: a meter replaced on 2 March (104 → 2): the fall is a reset, 2 is the rise.
    ("wm-a", D1, 11, "water_cold_m3", at(1, 0, 30), 100.0),
    ("wm-a", D1, 11, "water_cold_m3", at(1, 6), 101.0),
    ("wm-a", D1, 11, "water_cold_m3", at(1, 23, 30), 103.0),
    ("wm-a", D1, 11, "water_cold_m3", at(2, 12), 104.0),
    ("wm-a", D1, 11, "water_cold_m3", at(2, 13), 2.0),
    ("wm-a", D1, 11, "water_cold_m3", at(3, 10), 5.0),
    ("wm-b", D1, 12, "water_cold_m3", at(1, 10), 50.0),
    ("wm-b", D1, 12, "water_cold_m3", at(2, 10), 60.0),
    ("wm-c", D2, 21, "water_cold_m3", at(1, 12), 7.0),
    ("wm-c", D2, 21, "water_cold_m3", at(1, 13), 9.0),
    ("wm-a", D1, 11, "flow_lph", at(1, 1), 10.0),
    ("wm-a", D1, 11, "flow_lph", at(1, 2), 20.0),
    ("wm-a", D1, 11, "flow_lph", at(1, 3), 30.0),
    ("wm-a", D1, 11, "flow_lph", at(1, 4), 40.0),
]


def write(rows: list[tuple[str, int, int, str, dt.datetime, float]], uri: str) -> None:
    device, district, building, metric, ts, value = zip(*rows, strict=True)
    table.append(
        uri,
        pa.table(
            {
                "device_id": list(device),
                "metric": list(metric),
                "ts": pa.array([t.astimezone(dt.UTC) for t in ts], pa.timestamp("us", "UTC")),
                "value": list(value),
                "district_id": pa.array(district, pa.int32()),
                "building_id": pa.array(building, pa.int64()),
            }
        ),
        storage_options=conf.storage_options(),
    )


@pytest.fixture(params=["path", "s3"])
def dataset(request: pytest.FixtureRequest, telemetry_table: str) -> Iterator[str]:
    uri = request.getfixturevalue("s3_table") if request.param == "s3" else telemetry_table
    with override_settings(GOROD_TELEMETRY_TIME_ZONE="Europe/Moscow"):
        write(ROWS, uri)
        write(ROWS[:6], uri)  # A's water readings delivered twice
        yield uri


def by_day(data: pa.Table, column: str) -> dict[str, float]:
    return {
        b.astimezone(MSK).date().isoformat(): v
        for b, v in zip(data["bucket"].to_pylist(), data[column].to_pylist(), strict=True)
    }


def district_month() -> dict[int, tuple[float, int, float, float]]:
    data = queries.consumption(metric="water_cold_m3", start=MARCH, end=APRIL, bucket="month")
    return {
        row["district_id"]: (row["consumed"], row["devices"], row["p50"], row["p90"])
        for row in data.to_pylist()
    }


EXPECTED_MONTH = {D1: (19.0, 2, 9.5, 9.9), D2: (2.0, 1, 2.0, 2.0)}


def assert_month(found: dict[int, tuple[float, int, float, float]]) -> None:
    assert found.keys() == EXPECTED_MONTH.keys()
    for district, (consumed, devices, p50, p90) in EXPECTED_MONTH.items():
        assert found[district][0] == pytest.approx(consumed)
        assert found[district][1] == devices
        assert found[district][2] == pytest.approx(p50)
        assert found[district][3] == pytest.approx(p90)


def test_raw_history_counts_each_reading_once(dataset: str) -> None:
    data = queries.history(device_id="wm-a", metric="water_cold_m3", start=MARCH, end=APRIL)
    assert data["value"].to_pylist() == [100.0, 101.0, 103.0, 104.0, 2.0, 5.0]


def test_daily_history_of_a_meter_with_a_reset(dataset: str) -> None:
    data = queries.history(
        device_id="wm-a", metric="water_cold_m3", start=MARCH, end=APRIL, bucket="day"
    )
    assert by_day(data, "consumed") == {"2026-03-01": 3.0, "2026-03-02": 3.0, "2026-03-03": 3.0}
    assert by_day(data, "count") == {"2026-03-01": 3, "2026-03-02": 2, "2026-03-03": 1}
    assert by_day(data, "last") == {"2026-03-01": 103.0, "2026-03-02": 2.0, "2026-03-03": 5.0}
    assert by_day(data, "min") == {"2026-03-01": 100.0, "2026-03-02": 2.0, "2026-03-03": 5.0}


def test_hourly_history_of_a_gauge(dataset: str) -> None:
    data = queries.history(
        device_id="wm-a", metric="flow_lph", start=at(1, 0), end=at(1, 3), bucket="hour"
    )
    assert data["avg"].to_pylist() == [10.0, 20.0]
    assert data["consumed"].to_pylist() == [None, None]


def test_district_monthly_consumption(dataset: str) -> None:
    assert_month(district_month())


def test_building_and_device_consumption_within_a_selection(dataset: str) -> None:
    data = queries.consumption(
        metric="water_cold_m3",
        start=MARCH,
        end=APRIL,
        bucket="day",
        level="building",
        selection=queries.Selection(districts=[D1]),
    )
    rows = {
        (r["bucket"].astimezone(MSK).day, r["building_id"]): r["consumed"] for r in data.to_pylist()
    }
    assert rows == {(1, 11): 3.0, (1, 12): 0.0, (2, 11): 3.0, (2, 12): 10.0, (3, 11): 3.0}
    none = queries.consumption(
        metric="water_cold_m3", start=MARCH, end=APRIL, selection=queries.Selection(districts=[])
    )
    assert len(none) == 0


def test_percentiles_of_a_gauge_per_district(dataset: str) -> None:
    data = queries.aggregate(metric="flow_lph", start=MARCH, end=APRIL, bucket="day")
    [row] = data.to_pylist()
    assert (row["district_id"], row["count"], row["sum"], row["avg"]) == (D1, 4, 100.0, 25.0)
    assert (row["p50"], row["p90"]) == (pytest.approx(25.0), pytest.approx(37.0))


def test_consumption_of_a_gauge_is_refused(dataset: str) -> None:
    with pytest.raises(ValueError, match="metric"):
        queries.consumption(metric="flow_lph", start=MARCH, end=APRIL)


def test_answers_are_the_same_after_rollup_and_retention(dataset: str) -> None:
    report = maintenance.rollup(now=AFTER)
    assert "2026-03-01" in report.rolled_up_days
    assert report.rolled_up_days[-1] == "2026-03-09"
    assert_month(district_month())
    with override_settings(GOROD_TELEMETRY_RAW_DAYS=1):
        dropped = maintenance.retain(now=AFTER)
    assert dropped.dropped_days == ["2026-02-28", "2026-03-01", "2026-03-02", "2026-03-03"]
    with table.connect(dataset, storage_options=conf.storage_options()) as con:
        assert con.execute("SELECT count(*) FROM readings_raw").fetchone() == (0,)
    assert_month(district_month())
    data = queries.history(
        device_id="wm-a", metric="water_cold_m3", start=MARCH, end=APRIL, bucket="day"
    )
    assert by_day(data, "consumed") == {"2026-03-01": 3.0, "2026-03-02": 3.0, "2026-03-03": 3.0}


def test_a_late_reading_is_rolled_up_again(dataset: str) -> None:
    maintenance.rollup(now=AFTER)
    write([("wm-c", D2, 21, "water_cold_m3", at(9, 8), 12.0)], dataset)
    assert district_month()[D2][0] == 2.0  # 9 March is rolled up: the late reading waits
    maintenance.rollup(now=AFTER)
    assert district_month()[D2][0] == 5.0


def test_compaction_leaves_one_file_per_day_without_duplicates(dataset: str) -> None:
    before = table.open_table(dataset, storage_options=conf.storage_options())
    assert before is not None
    assert len(before.file_uris()) > 4
    report = maintenance.compact(now=AFTER, vacuum_hours=0)
    assert report.compacted_days == ["2026-02-28", "2026-03-01", "2026-03-02", "2026-03-03"]
    after = table.open_table(dataset, storage_options=conf.storage_options())
    assert after is not None
    assert len(after.file_uris()) == 4  # one per UTC day: 28 Feb to 3 Mar
    with table.connect(dataset, storage_options=conf.storage_options()) as con:
        assert con.execute("SELECT count(*) FROM readings_raw").fetchone() == (len(ROWS),)
    assert_month(district_month())


def test_exports_in_csv_and_parquet(dataset: str, tmp_path: object) -> None:
    data = queries.history(device_id="wm-b", metric="water_cold_m3", start=MARCH, end=APRIL)
    csv = queries.export(data, "csv").decode()
    assert csv.splitlines()[0] == '"ts","value"'
    assert len(csv.splitlines()) == 3
    back = pq.read_table(pa.BufferReader(queries.export(data, "parquet")))
    assert back["value"].to_pylist() == [50.0, 60.0]
