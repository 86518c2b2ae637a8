"""``gorod telemetry``: provisioning from CSV, secrets, broker files (with a real Mosquitto),
queries to a file, upkeep."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import paho.mqtt.client as mqtt
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone, translation
from paho.mqtt.enums import CallbackAPIVersion

from gorod.telemetry import conf, ingest, maintenance, table
from gorod.telemetry.models import Device
from gorod.telemetry.mqtt import free_port, wait_listening
from gorod.telemetry.secrets import secret_matches
from tests.places.factories import ApartmentFactory, BuildingFactory
from tests.telemetry.factories import DeviceTypeFactory

pytestmark = pytest.mark.django_db

HEADER = "device_id,type,apartment_id,building_id,institution_id,gateway_id,is_gateway\n"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("telemetry", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    assert caught.value.returncode == 2
    return str(caught.value)


@pytest.fixture
def devices_csv(tmp_path: Path) -> Path:
    DeviceTypeFactory.create()
    apartment = ApartmentFactory.create()
    building = BuildingFactory.create()
    path = tmp_path / "devices.csv"
    path.write_text(
        HEADER
        + f"wm-c1,water-meter,{apartment.pk},,,,\n"
        + f"wm-c2,water-meter,{apartment.pk},,,gw-c,\n"
        + f"gw-c,water-meter,,{building.pk},,,yes\n"
    )
    return path


def test_provisioning_from_csv_writes_each_secret_once(devices_csv: Path, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.csv"
    _out, err = run("provision", "--csv", str(devices_csv), "--secrets", str(secrets))
    assert "3" in err
    rows = list(csv.DictReader(secrets.open()))
    assert [r["device_id"] for r in rows] == ["wm-c1", "wm-c2", "gw-c"]
    assert oct(secrets.stat().st_mode & 0o777) == "0o600"
    for row in rows:
        assert secret_matches(row["secret"], Device.objects.get(id=row["device_id"]).secret_hash)
    assert Device.objects.get(id="wm-c2").gateway_id == "gw-c"
    assert fails("provision", "--csv", str(devices_csv), "--secrets", str(secrets)).startswith(
        "--secrets"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param("wm-x,kettle,{apartment},,,,", "line 3: type", id="unknown-type"),
        pytest.param("wm-x,water-meter,,,,,", "line 3: apartment_id", id="no-place"),
        pytest.param("wm-x,water-meter,999999,,,,", "line 3: apartment_id", id="no-apartment"),
        pytest.param("wm-x,water-meter,abc,,,,", "line 3: apartment_id", id="not-a-number"),
        pytest.param("wm/x,water-meter,{apartment},,,,", "line 3: device_id", id="bad-id"),
        pytest.param("wm-ok,water-meter,{apartment},,,,", "line 3: device_id", id="twice"),
        pytest.param("wm-x,water-meter,{apartment},,,gw-none,", "line 3: gateway_id", id="gw"),
        pytest.param("wm-x,water-meter,{apartment},,,,maybe", "line 3: is_gateway", id="flag"),
    ],
)
def test_a_bad_row_creates_nothing(tmp_path: Path, line: str, expected: str) -> None:
    DeviceTypeFactory.create()
    apartment = ApartmentFactory.create()
    path = tmp_path / "devices.csv"
    path.write_text(
        HEADER + f"wm-ok,water-meter,{apartment.pk},,,,\n" + line.format(apartment=apartment.pk)
    )
    assert fails("provision", "--csv", str(path)).startswith(expected)
    assert not Device.objects.exists()


def test_a_csv_with_unknown_columns_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "devices.csv"
    path.write_text("id,kind\nwm-1,water\n")
    assert fails("provision", "--csv", str(path)).startswith("line 1")
    assert fails("provision", "--csv", str(tmp_path / "missing.csv")).startswith("cannot read")


def test_deactivate_and_rotate(devices_csv: Path, tmp_path: Path) -> None:
    run("provision", "--csv", str(devices_csv), "--secrets", str(tmp_path / "s.csv"))
    run("deactivate", "wm-c1")
    assert not Device.objects.get(id="wm-c1").is_active
    run("activate", "wm-c1")
    assert Device.objects.get(id="wm-c1").is_active
    out, _err = run("rotate-secret", "wm-c1")
    [row] = list(csv.DictReader(io.StringIO(out)))
    assert secret_matches(row["secret"], Device.objects.get(id="wm-c1").secret_hash)
    assert "wm-nobody" in fails("deactivate", "wm-c1", "wm-nobody")


def test_query_to_parquet_and_bad_options(tmp_path: Path, telemetry_table: str) -> None:
    DeviceTypeFactory.create()
    apartment = ApartmentFactory.create()
    from gorod.telemetry.services import DeviceSpec, device_provision

    device = device_provision(spec=DeviceSpec("wm-q", "water-meter", apartment_id=apartment.pk))
    body = {
        "readings": [
            {"metric": "water_cold_m3", "ts": f"2026-03-0{d}T12:00:00+03:00", "value": 10.0 * d}
            for d in (1, 2, 3)
        ]
    }
    ingest.store(ingest.parse_device_message("wm-q", json.dumps(body).encode()), source="http")
    target = tmp_path / "out.parquet"
    run(
        "query",
        "consumption",
        "--metric",
        "water_cold_m3",
        "--start",
        "2026-03-01",
        "--end",
        "2026-04-01",
        "--bucket",
        "day",
        "--level",
        "device",
        "--output",
        str(target),
    )
    data = pq.read_table(target)
    assert data["consumed"].to_pylist() == [0.0, 10.0, 10.0]
    assert data["device_id"].to_pylist() == [device.device.id] * 3
    out, _err = run(
        "query",
        "history",
        "--device",
        "wm-q",
        "--metric",
        "water_cold_m3",
        "--start",
        "2026-03-01",
        "--end",
        "2026-04-01",
    )
    assert len(out.splitlines()) == 4
    base = ("--start", "2026-03-01", "--end", "2026-04-01")
    assert fails("query", "history", "--metric", "smell", *base).startswith("--metric")
    assert fails("query", "history", "--metric", "water_cold_m3", *base).startswith("--device")
    assert fails("query", "consumption", "--metric", "flow_lph", *base).startswith("--metric")
    assert fails(
        "query", "aggregate", "--metric", "flow_lph", "--start", "x", "--end", "y"
    ).startswith("--start")
    assert fails(
        "query", "aggregate", "--metric", "flow_lph", *base, "--output", "x.xlsx"
    ).startswith("--output")


def test_maintain_reports_what_it_did(telemetry_table: str) -> None:
    out, _err = run("maintain")
    assert out.startswith("rolled up 0 days")
    assert fails("maintain", "--vacuum-hours", "-1").startswith("--vacuum-hours")


def test_a_second_maintain_run_at_once_does_nothing(telemetry_table: str) -> None:
    when = timezone.now() - dt.timedelta(days=3)
    table.append(
        telemetry_table,
        pa.table(
            {
                "device_id": ["wm-m1"],
                "metric": ["water_cold_m3"],
                "ts": pa.array([when], pa.timestamp("us", tz="UTC")),
                "value": [1.0],
            }
        ),
    )
    other = connection.copy()  # another database session, as a run on another host has
    try:
        with maintenance.exclusive(connection=other) as taken:
            assert taken
            out, _err = run("maintain")
            assert out.startswith("another maintain run holds this telemetry table")
            assert table.open_table(table.rollup_uri(telemetry_table, "daily")) is None
        out, _err = run("maintain")
    finally:
        other.close()
    # From the local day before the reading's UTC day to yesterday (local).
    today = timezone.now().astimezone(ZoneInfo(conf.time_zone())).date()
    assert out.startswith(f"rolled up {(today - when.date()).days + 1} days")


# --- the broker's files with a real Mosquitto --------------------------------------------


@pytest.fixture
def mosquitto(tmp_path: Path, devices_csv: Path) -> Iterator[tuple[int, dict[str, str]]]:
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(binary).exists():
        pytest.skip("mosquitto is not installed")
    secrets = tmp_path / "secrets.csv"
    run("provision", "--csv", str(devices_csv), "--secrets", str(secrets))
    credentials = {r["device_id"]: r["secret"] for r in csv.DictReader(secrets.open())}
    Device.objects.filter(id="wm-c2").update(is_active=False)
    passwords, acl = tmp_path / "passwords", tmp_path / "acl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GOROD_TELEMETRY_INGEST_PASSWORD", "ingest-secret")
        run("broker-config", "--passwords", str(passwords), "--acl", str(acl))
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    # As root, Mosquitto would drop to its own user, who cannot read our 0600 files.
    user = "user root\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}listener {port} 127.0.0.1\nallow_anonymous false\npersistence false\n"
        f"password_file {passwords}\nacl_file {acl}\nlog_dest stderr\n"
    )
    process = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.PIPE)
    try:
        assert wait_listening("127.0.0.1", port), process.communicate(timeout=5)[1]
        yield port, credentials | {"gorod-ingest": "ingest-secret"}
    finally:
        process.terminate()
        process.wait(timeout=5)


def client(port: int, user: str, password: str) -> tuple[mqtt.Client, list[str], list[int]]:
    received: list[str] = []
    connected: list[int] = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{user}", protocol=mqtt.MQTTv5)
    c.username_pw_set(user, password)
    c.on_message = lambda _c, _u, message: received.append(message.topic)
    c.on_connect = lambda _c, _u, _f, reason, _p: connected.append(reason.value)
    c.connect("127.0.0.1", port)
    c.loop_start()
    deadline = time.monotonic() + 5
    while not connected and time.monotonic() < deadline:
        time.sleep(0.02)
    return c, received, connected


def test_mosquitto_lets_a_device_publish_only_to_its_own_topic(
    mosquitto: tuple[int, dict[str, str]],
) -> None:
    port, secrets = mosquitto
    ingest_client, received, connected = client(port, "gorod-ingest", secrets["gorod-ingest"])
    assert connected == [0]
    ingest_client.subscribe("$share/gorod-ingest/gorod/v1/devices/+/telemetry", qos=1)
    ingest_client.subscribe("gorod/v1/gateways/+/telemetry", qos=1)
    time.sleep(0.3)
    device, _r, device_connected = client(port, "wm-c1", secrets["wm-c1"])
    assert device_connected == [0]
    device.publish("gorod/v1/devices/wm-c2/telemetry", b"{}", qos=0)
    device.publish("gorod/v1/devices/wm-c1/telemetry", b"{}", qos=1).wait_for_publish(5)
    gateway, _r, _c = client(port, "gw-c", secrets["gw-c"])
    gateway.publish("gorod/v1/gateways/gw-c/telemetry", b"{}", qos=1).wait_for_publish(5)
    deadline = time.monotonic() + 5
    while len(received) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    assert sorted(received) == [
        "gorod/v1/devices/wm-c1/telemetry",
        "gorod/v1/gateways/gw-c/telemetry",
    ]
    refused, _r, wrong = client(port, "wm-c1", "wrong-secret")
    deactivated, _r, inactive = client(port, "wm-c2", secrets["wm-c2"])
    assert wrong and wrong[0] != 0
    assert inactive and inactive[0] != 0
    for c in (ingest_client, device, gateway, refused, deactivated):
        c.loop_stop()
        c.disconnect()
