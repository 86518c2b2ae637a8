"""HTTP bulk in three formats, the broker authenticator, devices and their scope."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.test import Client

from gorod.people.models import Role
from gorod.telemetry import table
from gorod.telemetry.models import DeadLetter, Device, DeviceState
from gorod.telemetry.services import DeviceSpec, device_provision
from tests.people.factories import CitizenFactory, account, city_official, district_official
from tests.places.factories import ApartmentFactory, BuildingFactory
from tests.telemetry.factories import DeviceFactory, DeviceTypeFactory

pytestmark = pytest.mark.django_db

BULK = "/api/v1/telemetry/bulk"


@pytest.fixture
def meter() -> tuple[Device, str]:
    DeviceTypeFactory.create()
    made = device_provision(
        spec=DeviceSpec("wm-api-1", "water-meter", apartment_id=ApartmentFactory.create().pk)
    )
    return made.device, made.secret


def send(secret: str, body: bytes, content_type: str = "application/json") -> Any:
    return Client().post(
        BULK, body, content_type=content_type, headers={"Authorization": f"Bearer {secret}"}
    )


def readings(n: int = 3) -> list[dict[str, Any]]:
    return [
        {"metric": "water_cold_m3", "ts": f"2026-03-01T10:0{i}:00Z", "value": 10 + i}
        for i in range(n)
    ]


def stored(uri: str) -> tuple[int, float]:
    with table.connect(uri) as con:
        row = con.execute("SELECT count(*), coalesce(sum(value), 0) FROM readings").fetchone()
    assert row is not None
    count, total = row
    return int(count), float(total)


def test_json_bulk_stores_readings(meter: tuple[Device, str], telemetry_table: str) -> None:
    _device, secret = meter
    response = send(secret, json.dumps({"readings": readings()}).encode())
    assert response.status_code == 200, response.content
    assert response.json() | {"rejections": []} == {
        "accepted": 3,
        "rejected": 0,
        "duplicates": 0,
        "rejections": [],
    }
    assert stored(telemetry_table) == (3, 33.0)
    assert DeviceState.objects.get().value == 12.0


def test_arrow_stream_bulk_stores_readings(meter: tuple[Device, str], telemetry_table: str) -> None:
    _device, secret = meter
    data = pa.table(
        {
            "metric": ["water_cold_m3"] * 4,
            "ts": pa.array([1772359200000 + i * 60_000 for i in range(4)], pa.int64()),
            "value": [1.0, 2.0, 3.0, -1.0],
        }
    )
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write_table(data)
    response = send(secret, sink.getvalue(), "application/vnd.apache.arrow.stream")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (3, 1)
    assert body["rejections"][0]["reason"] == "out_of_range"
    assert stored(telemetry_table) == (3, 6.0)
    assert DeadLetter.objects.get().source == "http"


def test_parquet_bulk_stores_readings(meter: tuple[Device, str], telemetry_table: str) -> None:
    _device, secret = meter
    data = pa.table(
        {
            "device_id": ["wm-api-1", "wm-api-1"],
            "metric": ["water_hot_m3", "water_hot_m3"],
            "ts": pa.array([1772359200000, 1772359260000], pa.timestamp("ms", tz="UTC")),
            "value": [5.0, 6.0],
        }
    )
    sink = io.BytesIO()
    pq.write_table(data, sink)
    response = send(secret, sink.getvalue(), "application/vnd.apache.parquet")
    assert response.status_code == 200, response.content
    assert stored(telemetry_table) == (2, 11.0)


def test_the_other_header_form_authenticates(meter: tuple[Device, str]) -> None:
    device, secret = meter
    response = Client().post(
        BULK,
        json.dumps({"readings": readings(1)}),
        content_type="application/json",
        headers={"X-Device-Id": device.id, "X-Device-Secret": secret},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "secret",
    [
        pytest.param("", id="none"),
        pytest.param("wm-api-1.wrong", id="wrong"),
        pytest.param("nodot", id="no-device"),
    ],
)
def test_a_wrong_secret_is_401(meter: tuple[Device, str], secret: str) -> None:
    assert send(secret, json.dumps({"readings": readings()}).encode()).status_code == 401


def test_a_deactivated_device_is_401(meter: tuple[Device, str]) -> None:
    device, secret = meter
    Device.objects.filter(pk=device.pk).update(is_active=False)
    assert send(secret, json.dumps({"readings": readings()}).encode()).status_code == 401


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        pytest.param(b"{nope", "application/json", "body", id="bad-json"),
        pytest.param(b"[]", "application/json", "body", id="not-object"),
        pytest.param(b"xx", "application/vnd.apache.arrow.stream", "body", id="bad-arrow"),
        pytest.param(b"xx", "application/vnd.apache.parquet", "body", id="bad-parquet"),
        pytest.param(b"a,b", "text/csv", "Content-Type", id="csv"),
    ],
)
def test_bad_bodies_are_400_naming_the_field_and_store_nothing(
    meter: tuple[Device, str], telemetry_table: str, body: bytes, content_type: str, field: str
) -> None:
    _device, secret = meter
    response = send(secret, body, content_type)
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert stored(telemetry_table) == (0, 0)
    assert not DeadLetter.objects.exists()


def test_an_arrow_table_without_a_column_is_400_naming_it(meter: tuple[Device, str]) -> None:
    _device, secret = meter
    sink = io.BytesIO()
    pq.write_table(pa.table({"metric": ["water_cold_m3"], "value": [1.0]}), sink)
    response = send(secret, sink.getvalue(), "application/vnd.apache.parquet")
    assert (response.status_code, response.json()["field"]) == (400, "ts")


def test_a_device_may_not_send_anothers_readings(meter: tuple[Device, str]) -> None:
    _device, secret = meter
    sink = io.BytesIO()
    data = pa.table(
        {
            "device_id": ["wm-other"],
            "metric": ["water_cold_m3"],
            "ts": [1772359200000],
            "value": [1.0],
        }
    )
    pq.write_table(data, sink)
    response = send(secret, sink.getvalue(), "application/vnd.apache.parquet")
    assert (response.status_code, response.json()["field"]) == (400, "device_id")


def test_a_too_large_body_is_refused(meter: tuple[Device, str], settings: Any) -> None:
    _device, secret = meter
    settings.GOROD_TELEMETRY_MAX_BULK_BYTES = 100
    response = send(secret, json.dumps({"readings": readings(9)}).encode())
    assert (response.status_code, response.json()["field"]) == (400, "body")


def test_a_gateway_sends_for_its_devices(telemetry_table: str) -> None:
    DeviceTypeFactory.create()
    building = BuildingFactory.create()
    gateway = device_provision(
        spec=DeviceSpec("gw-1", "water-meter", building_id=building.pk, is_gateway=True)
    )
    device_provision(
        spec=DeviceSpec("wm-child", "water-meter", building_id=building.pk, gateway_id="gw-1")
    )
    DeviceFactory.create(id="wm-stranger")
    body = {"devices": {"wm-child": readings(2), "wm-stranger": readings(1)}}
    response = send(gateway.secret, json.dumps(body).encode())
    assert response.status_code == 200
    assert (response.json()["accepted"], response.json()["rejected"]) == (2, 1)
    assert response.json()["rejections"][0]["reason"] == "not_linked"


# --- broker authenticator ----------------------------------------------------------------


def broker(path: str, **body: str) -> str:
    response = Client().post(
        f"/api/v1/telemetry/broker/{path}", body, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    verdict: str = response.json()["result"]
    return verdict


def test_the_broker_authenticates_devices_by_secret(meter: tuple[Device, str]) -> None:
    device, secret = meter
    assert broker("auth", username=device.id, password=secret) == "allow"
    assert broker("auth", username=device.id, password=secret + "x") == "deny"
    assert broker("auth", username="wm-other", password=secret) == "deny"


def test_the_broker_lets_a_device_publish_only_to_its_topic(meter: tuple[Device, str]) -> None:
    device, _secret = meter
    own = f"gorod/v1/devices/{device.id}/telemetry"
    assert broker("acl", username=device.id, topic=own, action="publish") == "allow"
    other = "gorod/v1/devices/wm-other/telemetry"
    assert broker("acl", username=device.id, topic=other, action="publish") == "deny"
    assert broker("acl", username=device.id, topic=own, action="subscribe") == "deny"


def test_the_ingest_account_subscribes_to_all(settings: Any) -> None:
    settings.GOROD_TELEMETRY_INGEST_PASSWORD = "ingest-pass"
    assert broker("auth", username="gorod-ingest", password="ingest-pass") == "allow"
    assert broker("auth", username="gorod-ingest", password="nope") == "deny"
    shared = "$share/gorod-ingest/gorod/v1/devices/+/telemetry"
    assert broker("acl", username="gorod-ingest", topic=shared, action="subscribe") == "allow"
    assert broker("acl", username="gorod-ingest", topic="#", action="subscribe") == "deny"


def test_a_bad_broker_request_is_422_naming_the_field() -> None:
    response = Client().post(
        "/api/v1/telemetry/broker/acl",
        {"username": "x", "topic": "t", "action": "fly"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["field"]) == (422, "action")


# --- devices and scope -------------------------------------------------------------------


def test_an_integrator_provisions_devices_and_gets_secrets_once() -> None:
    DeviceTypeFactory.create()
    apartment = ApartmentFactory.create()
    client = Client()
    client.force_login(city_official(Role.DEVICE_INTEGRATOR).user)
    items = [
        {"device_id": f"wm-p{i}", "type": "water-meter", "apartment_id": apartment.pk}
        for i in range(3)
    ]
    response = client.post(
        "/api/v1/telemetry/devices", {"items": items}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    secrets = response.json()
    assert [s["device_id"] for s in secrets] == ["wm-p0", "wm-p1", "wm-p2"]
    assert (
        send(secrets[0]["secret"], json.dumps({"readings": readings(1)}).encode()).status_code
        == 200
    )


def test_provisioning_a_bad_item_creates_nothing_and_names_it() -> None:
    DeviceTypeFactory.create()
    apartment = ApartmentFactory.create()
    client = Client()
    client.force_login(city_official(Role.DEVICE_INTEGRATOR).user)
    items = [
        {"device_id": "wm-ok", "type": "water-meter", "apartment_id": apartment.pk},
        {"device_id": "wm-bad", "type": "kettle", "apartment_id": apartment.pk},
    ]
    response = client.post(
        "/api/v1/telemetry/devices", {"items": items}, content_type="application/json"
    )
    assert (response.status_code, response.json()["field"]) == (400, "items[1].type")
    assert not Device.objects.exists()


def test_an_operator_may_not_provision() -> None:
    client = Client()
    client.force_login(district_official(Role.UTILITY_OPERATOR).user)
    response = client.post(
        "/api/v1/telemetry/devices",
        {"items": [{"device_id": "x", "type": "y"}]},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_an_operator_of_another_district_does_not_see_a_device(meter: tuple[Device, str]) -> None:
    device, _secret = meter
    client = Client()
    client.force_login(district_official(Role.UTILITY_OPERATOR).user)
    assert client.get(f"/api/v1/telemetry/devices/{device.id}").status_code == 404
    assert client.get(f"/api/v1/telemetry/devices/{device.id}/latest").status_code == 404
    client.force_login(district_official(Role.UTILITY_OPERATOR, district=device.district).user)
    assert client.get(f"/api/v1/telemetry/devices/{device.id}").json()["type"] == "water-meter"


def test_a_resident_sees_the_meters_of_their_apartment(meter: tuple[Device, str]) -> None:
    device, secret = meter
    send(secret, json.dumps({"readings": readings()}).encode())
    resident = CitizenFactory.create(apartment=device.apartment)
    client = Client()
    client.force_login(account(resident))
    assert client.get("/api/v1/telemetry/devices").json()["count"] == 1
    latest = client.get(f"/api/v1/telemetry/devices/{device.id}/latest").json()
    assert latest == [{"metric": "water_cold_m3", "ts": "2026-03-01T10:02:00+00:00", "value": 12.0}]
    client.force_login(account(CitizenFactory.create()))
    assert client.get("/api/v1/telemetry/devices").json()["count"] == 0


def test_rotating_a_secret_retires_the_old_one(meter: tuple[Device, str]) -> None:
    device, secret = meter
    client = Client()
    client.force_login(city_official(Role.CITY_ADMIN).user)
    response = client.post(f"/api/v1/telemetry/devices/{device.id}/rotate-secret")
    assert response.status_code == 200
    fresh = response.json()["secret"]
    body = json.dumps({"readings": readings(1)}).encode()
    assert send(secret, body).status_code == 401
    assert send(fresh, body).status_code == 200


# --- queries -------------------------------------------------------------------------------


def test_history_in_json_csv_and_parquet(meter: tuple[Device, str]) -> None:
    device, secret = meter
    send(secret, json.dumps({"readings": readings()}).encode())
    client = Client()
    client.force_login(city_official(Role.CITY_ADMIN).user)
    url = f"/api/v1/telemetry/devices/{device.id}/history"
    query = {"metric": "water_cold_m3", "start": "2026-03-01", "end": "2026-03-02"}
    body = client.get(url, query).json()
    assert [r["value"] for r in body["rows"]] == [10.0, 11.0, 12.0]
    assert body["rows"][0]["ts"] == "2026-03-01T13:00:00+03:00"
    daily = client.get(url, query | {"bucket": "day"}).json()["rows"]
    assert [(r["count"], r["consumed"]) for r in daily] == [(3, 2.0)]
    csv_response = client.get(url, query | {"format": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv")
    assert len(csv_response.content.decode().splitlines()) == 4
    parquet = client.get(url, query | {"format": "parquet"})
    assert pq.read_table(io.BytesIO(parquet.content))["value"].to_pylist() == [10.0, 11.0, 12.0]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param({"metric": "smell"}, "metric", id="metric"),
        pytest.param({"end": "2026-02-01"}, "end", id="end-before-start"),
        pytest.param({"start": "yesterday"}, "start", id="start"),
        pytest.param({"bucket": "week"}, "bucket", id="bucket"),
        pytest.param({"format": "xlsx"}, "format", id="format"),
    ],
)
def test_bad_query_parameters_name_the_field(
    meter: tuple[Device, str], query: dict[str, str], field: str
) -> None:
    device, _secret = meter
    client = Client()
    client.force_login(city_official(Role.CITY_ADMIN).user)
    base = {"metric": "water_cold_m3", "start": "2026-03-01", "end": "2026-03-02"}
    response = client.get(f"/api/v1/telemetry/devices/{device.id}/history", base | query)
    assert response.status_code in {400, 422}
    assert response.json()["field"] == field


def test_consumption_stays_within_the_officials_district(meter: tuple[Device, str]) -> None:
    device, secret = meter
    send(secret, json.dumps({"readings": readings()}).encode())
    query = {"metric": "water_cold_m3", "start": "2026-03-01", "end": "2026-04-01"}
    client = Client()
    client.force_login(district_official(Role.UTILITY_OPERATOR, district=device.district).user)
    [row] = client.get("/api/v1/telemetry/consumption", query).json()["rows"]
    assert (row["district_id"], row["consumed"], row["devices"]) == (device.district_id, 2.0, 1)
    client.force_login(district_official(Role.UTILITY_OPERATOR).user)
    assert client.get("/api/v1/telemetry/consumption", query).json()["rows"] == []
    asked = client.get("/api/v1/telemetry/consumption", query | {"district": device.district_id})
    assert asked.json()["rows"] == []
    gauge = client.get("/api/v1/telemetry/consumption", query | {"metric": "flow_lph"})
    assert (gauge.status_code, gauge.json()["field"]) == (400, "metric")


def test_a_resident_gets_statistics_of_their_own_meters_only(meter: tuple[Device, str]) -> None:
    device, secret = meter
    send(secret, json.dumps({"readings": readings()}).encode())
    other = DeviceFactory.create()
    from gorod.telemetry import ingest

    ingest.store(
        ingest.parse_device_message(other.id, json.dumps({"readings": readings()}).encode()),
        source="http",
    )
    query = {
        "metric": "water_cold_m3",
        "start": "2026-03-01",
        "end": "2026-04-01",
        "level": "device",
    }
    client = Client()
    client.force_login(account(CitizenFactory.create(apartment=device.apartment)))
    rows = client.get("/api/v1/telemetry/statistics", query).json()["rows"]
    assert [(r["device_id"], r["count"], r["sum"]) for r in rows] == [(device.id, 3, 33.0)]
