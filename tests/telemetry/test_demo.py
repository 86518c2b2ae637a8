"""The telemetry part of ``gorod demo``: its fleet, its processes, the embedded broker."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Sequence
from io import StringIO

import aiomqtt
import pytest

from gorod.people.demo import CITIZEN_EMAIL
from gorod.people.models import Citizen
from gorod.telemetry.demo import AIR_SENSORS, GATEWAY, demo_children, demo_prepare
from gorod.telemetry.models import Device
from gorod.telemetry.mqtt import Broker, free_port, wait_listening
from gorod.telemetry.worker import Outcome, Received, Worker, WorkerOptions
from tests.people.factories import CitizenFactory, UserFactory
from tests.places.factories import ApartmentFactory, BuildingFactory, DistrictFactory


@pytest.fixture
def demo_city() -> None:
    district = DistrictFactory.create()
    homes = [
        ApartmentFactory.create(building=BuildingFactory.create(district=district))
        for _n in range(AIR_SENSORS + 2)
    ]
    CitizenFactory.create(user=UserFactory.create(email=CITIZEN_EMAIL), apartment=homes[0])


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_city")
def test_the_demo_fleet_is_the_familys_meters_and_air_sensors_and_is_made_once() -> None:
    demo_prepare(seed=3, stdout=StringIO())
    citizen = Citizen.objects.get(user__email=CITIZEN_EMAIL)
    family = Device.objects.filter(apartment=citizen.apartment)
    assert sorted(d.device_type.code for d in family) == [
        "demo-heat",
        "demo-water-cold",
        "demo-water-hot",
    ]
    air = Device.objects.filter(device_type__code="demo-air")
    assert air.count() == AIR_SENSORS
    assert {d.district_id for d in air} == {citizen.apartment.building.district_id}
    assert all(d.gateway_id == GATEWAY for d in [*family, *air])
    made = sorted(Device.objects.values_list("pk", flat=True))
    demo_prepare(seed=3, stdout=StringIO())
    assert sorted(Device.objects.values_list("pk", flat=True)) == made


def test_without_a_broker_the_demo_starts_an_embedded_one_and_points_everyone_at_it() -> None:
    env: dict[str, str] = {}
    names = [child.name for child in demo_children(env=env)]
    assert names == ["alarms", "mqtt-broker", "ingest", "demo-fleet", "simulator"]
    assert env["MQTT_URL"].startswith("mqtt://127.0.0.1:")
    assert (env["MQTT_PROTOCOL"], env["MQTT_SHARED"]) == ("3.1.1", "0")


def test_with_mqtt_url_the_demo_uses_that_broker() -> None:
    env = {"MQTT_URL": "mqtt://broker.city:1884"}
    children = demo_children(env=env)
    assert [child.name for child in children] == ["alarms", "ingest", "demo-fleet", "simulator"]
    assert env == {"MQTT_URL": "mqtt://broker.city:1884"}
    assert "broker.city:1884" in children[2].argv


def test_the_embedded_broker_carries_qos1_messages_to_a_plain_persistent_worker() -> None:
    port = free_port()
    broker_process = subprocess.Popen(
        [sys.executable, "-m", "gorod.telemetry.broker", f"--port={port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    got: list[Received] = []

    def store(messages: Sequence[Received]) -> Outcome:
        got.extend(messages)
        return Outcome(accepted=len(messages))

    async def scenario() -> None:
        broker = Broker("127.0.0.1", port, mqtt5=False)
        worker = Worker(
            WorkerOptions(client_id="demo", broker=broker, shared=False, batch_seconds=0.05),
            store=store,
        )
        running = asyncio.ensure_future(worker.run())
        await asyncio.sleep(1.0)
        async with aiomqtt.Client("127.0.0.1", port) as client:
            for number in range(50):
                await client.publish(f"gorod/v1/devices/d-{number}/telemetry", b"{}", qos=1)
        while len(got) < 50:
            await asyncio.sleep(0.05)
        worker.stop()
        await running

    try:
        assert wait_listening("127.0.0.1", port, timeout=30)
        asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    finally:
        broker_process.terminate()
        broker_process.wait(timeout=10)
    assert sorted(m.topic for m in got) == sorted(
        f"gorod/v1/devices/d-{number}/telemetry" for number in range(50)
    )
