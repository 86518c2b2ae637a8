"""``gorod simulate``: files, the table, HTTP and MQTT; bad options are exit 2."""

from __future__ import annotations

import csv
import json
import threading
from io import StringIO
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gorod.telemetry import table
from gorod.telemetry.models import Device, DeviceState
from tests.places.factories import ApartmentFactory, BuildingFactory


def simulate(*args: str) -> str:
    out = StringIO()
    call_command("simulate", *args, stdout=out)
    return out.getvalue()


def stored(uri: str) -> int:
    with table.connect(uri) as con:
        row = con.execute("SELECT count(*) FROM readings").fetchone()
    assert row is not None
    return int(row[0])


def city(apartments: int) -> None:
    building = BuildingFactory.create()
    for _ in range(apartments):
        ApartmentFactory.create(building=building)


def test_csv_replay_writes_readings_truth_and_hours(tmp_path: Path) -> None:
    summary = simulate(
        *("--devices", "40", "--days", "12", "--via", "csv", "--leaks", "2", "--faults", "1"),
        *("--start", "2026-02-01", "--output", str(tmp_path / "r.csv")),
        *("--truth", str(tmp_path / "t.csv"), "--hourly-csv", str(tmp_path / "h.csv")),
    )
    readings = pacsv.read_csv(tmp_path / "r.csv")
    assert readings.column_names == ["device_id", "metric", "ts", "value"]
    assert f"{readings.num_rows} readings of 40 devices over 12 days via csv" in summary
    truth = list(csv.DictReader((tmp_path / "t.csv").open()))
    assert sorted(row["kind"] for row in truth) == ["leak", "leak", "stuck"]
    hours = list(csv.DictReader((tmp_path / "h.csv").open()))
    water = {row["meter_id"] for row in hours}
    assert len(hours) == len(water) * 12 * 24
    assert hours[0]["time"] == "2026-02-01T00:00:00+03:00"


@pytest.mark.django_db
def test_table_replay_provisions_the_fleet_and_stores_every_reading(telemetry_table: str) -> None:
    city(12)
    simulate("--devices", "30", "--days", "2", "--via", "table", "--provision")
    assert Device.objects.filter(id__startswith="sim-").count() == 31  # and the gateway
    assert stored(telemetry_table) == (30 + 9) * 24 * 2  # 9 flats, 9 two-tariff power meters
    assert DeviceState.objects.filter(device_id="sim-wc-0000001").exists()
    simulate("--devices", "30", "--days", "1", "--via", "table", "--provision")  # idempotent
    assert Device.objects.filter(id__startswith="sim-").count() == 31


@pytest.mark.django_db
def test_table_replay_of_unprovisioned_devices_is_refused(telemetry_table: str) -> None:
    with pytest.raises(CommandError) as refused:
        simulate("--devices", "5", "--days", "1", "--via", "table")
    assert refused.value.returncode == 2
    assert "provision" in str(refused.value)


@pytest.mark.django_db
def test_a_city_too_small_for_the_fleet_is_exit_2_and_creates_nothing() -> None:
    city(2)
    with pytest.raises(CommandError) as refused:
        simulate("--devices", "50", "--days", "1", "--via", "table", "--provision")
    assert refused.value.returncode == 2
    assert "apartments" in str(refused.value)
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--devices", "0", "--via", "csv", "--output", "x.csv"], "--devices"),
        (["--devices", "5", "--via", "csv"], "--output"),
        (["--devices", "5", "--via", "csv", "--output", "x.csv", "--leaks", "9"], "water"),
        (["--devices", "5", "--via", "http"], "--gateway-secret"),
        (["--devices", "5", "--via", "csv", "--output", "x.csv", "--speed", "0"], "--speed"),
        (["--devices", "5", "--via", "csv", "--output", "/no/such/x.csv"], "no such directory"),
    ],
    ids=["no-devices", "no-output", "too-many-leaks", "no-secret", "speed", "no-dir"],
)
def test_bad_options_are_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    args = [str(tmp_path / a) if a == "x.csv" else a for a in args]
    with pytest.raises(CommandError) as refused:
        simulate(*args, "--days", "12")
    assert refused.value.returncode == 2
    assert message in str(refused.value)


@pytest.mark.django_db(transaction=True)
def test_http_replay_posts_arrow_to_the_bulk_endpoint(
    live_server: Any, telemetry_table: str
) -> None:
    city(6)
    summary = simulate(
        *("--devices", "12", "--days", "1", "--via", "http", "--provision"),
        *("--url", f"{live_server.url}/api/v1/telemetry/bulk"),
    )
    assert "via http" in summary
    assert stored(telemetry_table) == 12 * 24 + 3 * 24


@pytest.mark.django_db
def test_mqtt_replay_publishes_gateway_messages(tmp_path: Path) -> None:
    from gorod.telemetry.mqtt import mosquitto_available, private_mosquitto

    if not mosquitto_available():
        pytest.skip("no mosquitto binary")
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    city(6)
    received: list[dict[str, Any]] = []
    with private_mosquitto() as broker:
        subscriber = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        done = threading.Event()

        def subscribe(client: paho.Client, *_args: Any) -> None:
            client.subscribe("gorod/v1/gateways/+/telemetry", 1)
            done.set()

        subscriber.on_connect = subscribe
        subscriber.on_message = lambda _c, _u, m: received.append(json.loads(m.payload))
        subscriber.connect(broker.host, broker.port)
        subscriber.loop_start()
        assert done.wait(10)
        simulate(
            *("--devices", "12", "--days", "1", "--via", "mqtt", "--provision"),
            *("--mqtt", broker.url, "--per-message", "100"),
        )
        subscriber.loop_stop()
    readings = sum(len(v) for message in received for v in message["devices"].values())
    assert readings == 12 * 24 + 3 * 24
    assert all(len(next(iter(m["devices"].values()))[0]) == 3 for m in received)


def test_live_readings_move_smoothly_within_the_simulated_hour() -> None:
    import datetime as dt

    import numpy as np

    from gorod.telemetry.management.commands.simulate import _interpolated
    from gorod.telemetry.simulation import Simulator, fleet_make

    start = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)
    simulator = Simulator(fleet_make(20, seed=1), start=start, seed=1)
    before, after = simulator.step(1), simulator.step(1)
    now = start + dt.timedelta(hours=1, minutes=15)
    live = _interpolated(before, after, 0.25, now)
    assert live.num_rows == after.num_rows
    assert set(live.column("ts").to_pylist()) == {now}
    expected = before.column("value").to_numpy() * 0.75 + after.column("value").to_numpy() * 0.25
    assert np.allclose(live.column("value").to_numpy(), expected)
    first = _interpolated(None, after, 0.5, now)  # the first interval has no hour before it
    assert np.allclose(first.column("value").to_numpy(), after.column("value").to_numpy())
