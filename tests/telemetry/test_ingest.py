"""Parsing, validation and storing of readings: every malformed kind becomes a dead letter."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa
import pytest
from django.test import override_settings

from gorod.telemetry import ingest, table
from gorod.telemetry.models import DeadLetter, DeviceState
from tests.telemetry.factories import DeviceFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def payload(*readings: dict[str, Any]) -> bytes:
    return json.dumps({"readings": list(readings)}).encode()


def reading(metric: str = "water_cold_m3", ts: Any = "2026-03-01T10:00:00Z", value: Any = 1.5):
    return {"metric": metric, "ts": ts, "value": value}


def reasons(batch: ingest.Batch) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in batch.rejections:
        out[r.reason] = out.get(r.reason, 0) + r.count
    return out


def test_valid_readings_parse_into_the_table_shape() -> None:
    device = DeviceFactory.create()
    batch = ingest.parse_device_message(
        device.id,
        payload(reading(), reading("water_hot_m3", 1772359200000, 2)),
    )
    assert batch.rejections == []
    assert batch.readings.schema == ingest.READINGS_SCHEMA
    rows = batch.readings.to_pylist()
    assert rows[0]["ts"] == dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
    assert rows[1]["ts"] == dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC)
    assert rows[1]["value"] == 2.0
    assert rows[0]["district_id"] == device.district_id
    assert device.apartment is not None
    assert rows[0]["building_id"] == device.apartment.building_id


def test_times_with_offsets_are_stored_in_utc() -> None:
    device = DeviceFactory.create()
    batch = ingest.parse_device_message(
        device.id, payload(reading(ts="2026-03-01T13:00:00.250+03:00"))
    )
    assert batch.readings["ts"][0].as_py() == dt.datetime(
        2026, 3, 1, 10, 0, 0, 250000, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"{not json", ingest.BAD_JSON, id="bad-json"),
        pytest.param(b"\xff\xfe", ingest.BAD_JSON, id="not-utf8"),
        pytest.param(b"[1, 2]", ingest.BAD_SHAPE, id="not-an-object"),
        pytest.param(b'{"readings": {}}', ingest.BAD_SHAPE, id="readings-not-a-list"),
        pytest.param(payload({"metric": 1, "ts": 1, "value": 1}), ingest.BAD_TYPE, id="metric"),
        pytest.param(payload(reading(value="1.5")), ingest.BAD_TYPE, id="value-text"),
        pytest.param(payload(reading(value=True)), ingest.BAD_TYPE, id="value-bool"),
        pytest.param(payload(reading(ts=None)), ingest.BAD_TYPE, id="ts-null"),
        pytest.param(payload(reading(ts="yesterday")), ingest.BAD_TIME, id="ts-text"),
        pytest.param(payload(reading(ts="2026-03-01T10:00:00")), ingest.BAD_TIME, id="naive"),
        pytest.param(payload(reading(ts=1e300)), ingest.BAD_TIME, id="ts-huge"),
        pytest.param(payload(reading("smell")), ingest.UNKNOWN_METRIC, id="unknown-metric"),
        pytest.param(payload(reading("noise_db")), ingest.METRIC_NOT_ALLOWED, id="not-allowed"),
        pytest.param(
            b'{"readings": [{"metric": "water_cold_m3", "ts": 1, "value": NaN}]}',
            ingest.NOT_FINITE,
            id="nan",
        ),
        pytest.param(
            b'{"readings": [{"metric": "flow_lph", "ts": 1, "value": Infinity}]}',
            ingest.NOT_FINITE,
            id="inf",
        ),
        pytest.param(payload(reading(value=-1)), ingest.OUT_OF_RANGE, id="negative-register"),
        pytest.param(payload(reading("battery_pct", value=140)), ingest.OUT_OF_RANGE, id="pct"),
        pytest.param(
            payload(reading(ts="1999-12-31T23:59:59Z")), ingest.ANCIENT_TIME, id="ancient"
        ),
        pytest.param(payload(reading(ts="2027-03-01T10:00:00Z")), ingest.FUTURE_TIME, id="future"),
    ],
)
def test_malformed_readings_are_refused_with_their_reason(body: bytes, reason: str) -> None:
    device = DeviceFactory.create()
    with override_settings(GOROD_TELEMETRY_MAX_FUTURE_SECONDS=600):
        batch = ingest.parse_device_message(device.id, body, topic="t")
    assert len(batch.readings) == 0
    assert reasons(batch) == {reason: 1}
    assert batch.rejections[0].topic == "t"


def test_bad_readings_do_not_spoil_good_ones_in_one_message() -> None:
    device = DeviceFactory.create()
    batch = ingest.parse_device_message(
        device.id, payload(reading(), reading(value="x"), reading("smell"), reading(value=-5))
    )
    assert len(batch.readings) == 1
    assert reasons(batch) == {
        ingest.BAD_TYPE: 1,
        ingest.UNKNOWN_METRIC: 1,
        ingest.OUT_OF_RANGE: 1,
    }


def test_unknown_and_inactive_devices_are_refused() -> None:
    inactive = DeviceFactory.create(is_active=False)
    assert reasons(ingest.parse_device_message("wm-nobody", payload(reading()))) == {
        ingest.UNKNOWN_DEVICE: 1
    }
    assert reasons(ingest.parse_device_message(inactive.id, payload(reading(), reading()))) == {
        ingest.INACTIVE_DEVICE: 2
    }


def test_oversize_messages_are_refused_whole() -> None:
    device = DeviceFactory.create()
    body = payload(*[reading() for _ in range(100)])
    batch = ingest.parse_device_message(device.id, body, max_bytes=len(body) - 1)
    assert reasons(batch) == {ingest.OVERSIZE: 1}


def test_a_gateway_reports_only_for_its_own_devices() -> None:
    gateway = DeviceFactory.create(id="gw-1", is_gateway=True)
    mine = DeviceFactory.create(gateway=gateway)
    other = DeviceFactory.create()
    body = json.dumps(
        {"devices": {mine.id: [reading()], other.id: [reading(), reading()], "x": 5}}
    ).encode()
    batch = ingest.parse_gateway_message(body, gateway_id=gateway.id)
    assert batch.readings["device_id"].to_pylist() == [mine.id]
    assert reasons(batch) == {ingest.BAD_SHAPE: 1, ingest.NOT_LINKED: 2}


def test_topics_route_to_device_or_gateway_parsing() -> None:
    device = DeviceFactory.create()
    batch = ingest.parse_message(f"gorod/v1/devices/{device.id}/telemetry", payload(reading()))
    assert len(batch.readings) == 1
    assert reasons(ingest.parse_message("gorod/v1/other", b"{}")) == {ingest.WRONG_TOPIC: 1}


def test_store_appends_updates_state_and_writes_dead_letters(telemetry_table: str) -> None:
    device = DeviceFactory.create()
    first = ingest.parse_device_message(
        device.id,
        payload(
            reading(ts="2026-03-01T10:00:00Z", value=1), reading(ts="2026-03-01T11:00:00Z", value=2)
        ),
    )
    result = ingest.store(
        ingest.Batch.merge([first, ingest.parse_device_message(device.id, b"oops")]),
        source="mqtt",
        received_at=NOW,
    )
    assert result == ingest.StoreResult(accepted=2, rejected=1, duplicates=0)
    state = DeviceState.objects.get(device=device, metric="water_cold_m3")
    assert (state.value, state.ts) == (2.0, dt.datetime(2026, 3, 1, 11, 0, tzinfo=dt.UTC))
    device.refresh_from_db()
    assert device.last_seen_at == NOW
    letter = DeadLetter.objects.get()
    assert (letter.reason, letter.device_id, letter.source) == (ingest.BAD_JSON, device.id, "mqtt")
    with table.connect(telemetry_table) as con:
        assert con.execute("SELECT count(*), sum(value) FROM readings").fetchone() == (2, 3.0)


def test_an_older_reading_does_not_replace_the_latest_state() -> None:
    device = DeviceFactory.create()
    ingest.store(
        ingest.parse_device_message(
            device.id, payload(reading(ts="2026-03-01T11:00:00Z", value=7))
        ),
        source="http",
    )
    ingest.store(
        ingest.parse_device_message(
            device.id, payload(reading(ts="2026-03-01T09:00:00Z", value=3))
        ),
        source="http",
    )
    assert DeviceState.objects.get(device=device).value == 7.0


def test_duplicates_are_counted_once(telemetry_table: str) -> None:
    device = DeviceFactory.create()
    body = payload(reading(value=1), reading(value=1), reading("water_hot_m3", value=4))
    result = ingest.store(ingest.parse_device_message(device.id, body), source="mqtt")
    assert (result.accepted, result.duplicates) == (2, 1)
    again = ingest.store(ingest.parse_device_message(device.id, body), source="mqtt")
    assert again.accepted == 2
    with table.connect(telemetry_table) as con:
        assert con.execute("SELECT count(*), sum(value) FROM readings").fetchone() == (2, 5.0)
        assert con.execute("SELECT count(*) FROM readings_raw").fetchone() == (4,)


def test_arrow_tables_are_validated_like_json() -> None:
    device = DeviceFactory.create()
    data = pa.table(
        {
            "metric": ["water_cold_m3", "water_cold_m3", "smell"],
            "ts": pa.array([1772359200000, 1772362800000, 1772362800000], pa.int64()),
            "value": [1.0, float("nan"), 3.0],
        }
    )
    batch = ingest.parse_table(data, device_id=device.id)
    assert len(batch.readings) == 1
    assert reasons(batch) == {ingest.NOT_FINITE: 1, ingest.UNKNOWN_METRIC: 1}


@pytest.mark.parametrize(
    ("data", "column"),
    [
        pytest.param(pa.table({"metric": ["a"], "ts": [1]}), "value", id="missing-value"),
        pytest.param(pa.table({"metric": ["a"], "ts": ["x"], "value": [1.0]}), "ts", id="ts"),
        pytest.param(pa.table({"metric": [1], "ts": [1], "value": [1.0]}), "metric", id="metric"),
        pytest.param(pa.table({"metric": ["a"], "ts": [1], "value": ["1"]}), "value", id="value"),
    ],
)
def test_arrow_tables_of_the_wrong_shape_name_the_column(data: pa.Table, column: str) -> None:
    with pytest.raises(ValueError, match=column):
        ingest.parse_table(data, device_id="wm-1")


def test_an_unknown_id_is_remembered_until_the_cache_is_renewed() -> None:
    assert reasons(ingest.parse_device_message("wm-late", payload(reading()))) == {
        ingest.UNKNOWN_DEVICE: 1
    }
    DeviceFactory.create(id="wm-late")
    assert reasons(ingest.parse_device_message("wm-late", payload(reading()))) == {
        ingest.UNKNOWN_DEVICE: 1
    }
    ingest.registry.clear()
    assert len(ingest.parse_device_message("wm-late", payload(reading())).readings) == 1
