"""Telemetry in ``gorod demo``: a broker, an ingest worker and live devices beside the web server.

``demo_children``: with no ``MQTT_URL`` configured an embedded amqtt broker on a free port
(MQTT 3.1.1, so one worker with a plain subscription; see ``broker.py``), else that broker;
one ``gorod ingest`` worker; U1's simulated fleet streaming live (``gorod simulate --via mqtt
--live``); and ``live``, the demo fleet's readings each ``LIVE_INTERVAL`` seconds.

``demo_prepare``: the demo fleet behind the gateway ``demo-gw``: cold and hot water and heat
meters in the demo family's apartment (the utilities demo makes its meters of them and adds
the two-tariff electricity meters) and air-quality and noise sensors on buildings of the
demo district. Idempotent and seeded.

``python -m gorod.telemetry.demo after HOST:PORT -- COMMAND…`` waits for the broker, then
runs the command: publishers started beside a broker must not fail for being first.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from typing import TYPE_CHECKING, Any

from gorod.telemetry.mqtt import (
    GATEWAY_TOPIC,
    BrokerUrlError,
    broker_from_environment,
    free_port,
    wait_listening,
)

if TYPE_CHECKING:
    # Imported late: ``python -m gorod.telemetry.demo`` runs before Django is set up.
    from gorod.places.management.commands.demo import Child

GATEWAY = "demo-gw"
LIVE_INTERVAL = 10.0
SIMULATED_DEVICES = 200
AIR_SENSORS = 6
# device kind: (type code, name, metrics, start values)
KINDS: dict[str, tuple[str, str, list[str]]] = {
    "cold": ("demo-water-cold", "Cold water meter", ["water_cold_m3", "flow_lph", "battery_pct"]),
    "hot": ("demo-water-hot", "Hot water meter", ["water_hot_m3", "flow_lph", "battery_pct"]),
    "heat": ("demo-heat", "Apartment heat meter", ["heat_gcal", "temperature_c"]),
    "air": ("demo-air", "Air quality and noise sensor", ["pm25_ugm3", "noise_db", "temperature_c"]),
}


def _python(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


def demo_children(*, env: dict[str, str]) -> list[Child]:
    """Broker (unless ``MQTT_URL`` names one), the ingest worker, the live fleet, the alarms."""
    from gorod.places.management.commands.demo import Child

    # The rules run each minute over what the fleet sends, raising and clearing alarms.
    children: list[Child] = [
        Child("alarms", _python("gorod.cli", "alarms", "evaluate", "--every=60")),
    ]
    if not env.get("MQTT_URL"):
        port = free_port()
        env["MQTT_URL"] = f"mqtt://127.0.0.1:{port}"
        env["MQTT_PROTOCOL"] = "3.1.1"
        env["MQTT_SHARED"] = "0"
        children.append(Child("mqtt-broker", _python("gorod.telemetry.broker", f"--port={port}")))
    try:
        broker = broker_from_environment_of(env)
    except BrokerUrlError:
        return children  # the worker and the publishers would only fail; the web still runs
    after = ["gorod.telemetry.demo", "after", f"{broker.host}:{broker.port}", "--"]
    children += [
        Child("ingest", _python("gorod.cli", "ingest", "--id=gorod-demo-ingest")),
        Child("demo-fleet", _python(*after, sys.executable, "-m", "gorod.telemetry.demo", "live")),
        Child(
            "simulator",
            _python(
                *after,
                sys.executable,
                "-m",
                "gorod.cli",
                "simulate",
                f"--devices={SIMULATED_DEVICES}",
                "--via=mqtt",
                "--live",
                f"--interval={LIVE_INTERVAL:g}",
                "--provision",
            ),
        ),
    ]
    return children


def broker_from_environment_of(env: dict[str, str]) -> Any:
    saved = {k: os.environ.get(k) for k in ("MQTT_URL", "MQTT_PROTOCOL")}
    try:
        for key in saved:
            if key in env:
                os.environ[key] = env[key]
        return broker_from_environment()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def demo_prepare(*, seed: int, stdout: Any) -> None:
    """The demo fleet: the family's water and heat meters, the district's air sensors."""
    from gorod.people.demo import CITIZEN_EMAIL
    from gorod.people.models import Citizen
    from gorod.places.models import Building
    from gorod.telemetry.models import Device
    from gorod.telemetry.services import DeviceSpec, device_type_ensure, devices_provision

    if Device.objects.filter(pk=GATEWAY).exists():
        return
    citizen = (
        Citizen.objects.filter(user__email=CITIZEN_EMAIL).select_related("apartment__building")
    ).first()
    if citizen is None or citizen.apartment is None:
        return
    apartment = citizen.apartment
    district_id = apartment.building.district_id
    for code, name, metrics in KINDS.values():
        device_type_ensure(code=code, name=name, metrics=metrics)
    device_type_ensure(code="demo-gateway", name="Gateway", metrics=[])
    rng = random.Random(seed)  # noqa: S311  (which buildings, not a secret)
    buildings = list(
        Building.objects.filter(district_id=district_id)
        .exclude(pk=apartment.building_id)
        .order_by("pk")
        .values_list("pk", flat=True)[:200]
    )
    chosen = sorted(rng.sample(buildings, min(AIR_SENSORS, len(buildings))))
    specs = [
        DeviceSpec(
            device_id=GATEWAY,
            device_type="demo-gateway",
            building_id=apartment.building_id,
            is_gateway=True,
        ),
        *(
            DeviceSpec(
                device_id=f"demo-{kind}-{apartment.pk}",
                device_type=KINDS[kind][0],
                apartment_id=apartment.pk,
                gateway_id=GATEWAY,
            )
            for kind in ("cold", "hot", "heat")
        ),
        *(
            DeviceSpec(
                device_id=f"demo-air-{n:02d}",
                device_type=KINDS["air"][0],
                building_id=building,
                gateway_id=GATEWAY,
            )
            for n, building in enumerate(chosen)
        ),
    ]
    devices_provision(specs=specs)
    stdout.write(
        f"telemetry: demo fleet of {len(specs) - 1} devices behind {GATEWAY} "
        f"({apartment}, {len(chosen)} air sensors)\n"
    )


# --- the live demo fleet --------------------------------------------------------------------


def _fleet() -> dict[str, list[str]]:
    from gorod.telemetry.models import Device

    return {
        device_id: list(metrics)
        for device_id, metrics in Device.objects.filter(gateway_id=GATEWAY, is_active=True)
        .order_by("pk")
        .values_list("pk", "device_type__metrics")
    }


def _start_values(device_ids: list[str]) -> dict[tuple[str, str], float]:
    from gorod.telemetry.models import DeviceState

    return {
        (device_id, metric): value
        for device_id, metric, value in DeviceState.objects.filter(
            device_id__in=device_ids
        ).values_list("device_id", "metric", "value")
    }


# Registers: (a start value, the most they rise in an interval at a busy hour).
CUMULATIVE = {
    "water_cold_m3": (100.0, 0.004),
    "water_hot_m3": (60.0, 0.003),
    "heat_gcal": (20.0, 0.0005),
}
# Gauges: (lowest, highest) at a busy hour; a quiet hour stays in the lower part.
GAUGES = {
    "flow_lph": (0.0, 60.0),
    "temperature_c": (19.0, 24.0),
    "pm25_ugm3": (4.0, 30.0),
    "noise_db": (38.0, 70.0),
}


def _reading(metric: str, previous: float | None, rng: random.Random, busy: float) -> float:
    if metric in CUMULATIVE:
        start, step = CUMULATIVE[metric]
        return round((start if previous is None else previous) + rng.uniform(0, step) * busy, 5)
    if metric in GAUGES:
        low, high = GAUGES[metric]
        return round(low + (high - low) * rng.random() * busy, 1)
    return 97.0 if previous is None else previous  # battery_pct, flags: as they were


def live(*, interval: float = LIVE_INTERVAL) -> None:
    """Send the demo fleet's readings through the gateway topic every ``interval`` seconds."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gorod.settings")
    django.setup()
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    broker = broker_from_environment()
    fleet = _fleet()
    if not fleet:
        print("telemetry demo: no demo fleet (run gorod demo once)", flush=True)
        while True:
            time.sleep(3600)
    values = _start_values(list(fleet))
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id="gorod-demo-fleet",
        protocol=mqtt.MQTTv5 if broker.mqtt5 else mqtt.MQTTv311,
    )
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    client.connect(broker.host, broker.port)
    client.loop_start()
    rng = random.Random(7)  # noqa: S311  (synthetic readings)
    topic = GATEWAY_TOPIC.format(gateway_id=GATEWAY)
    while True:
        now = time.time()
        hour = time.gmtime(now + 3 * 3600).tm_hour  # Moscow
        busy = 1.0 if 7 <= hour <= 9 or 18 <= hour <= 22 else 0.4
        devices: dict[str, list[dict[str, Any]]] = {}
        for device_id, metrics in fleet.items():
            items = []
            for metric in metrics:
                value = _reading(metric, values.get((device_id, metric)), rng, busy)
                values[device_id, metric] = value
                items.append({"metric": metric, "ts": int(now * 1000), "value": value})
            devices[device_id] = items
        client.publish(topic, json.dumps({"devices": devices}).encode(), qos=1)
        time.sleep(max(0.5, interval - (time.time() - now)))


def after(address: str, command: list[str], *, timeout: float = 60.0) -> None:
    """Wait until ``host:port`` listens, then become ``command``."""
    host, _colon, port = address.rpartition(":")
    if not wait_listening(host, int(port), timeout=timeout):
        print(f"the broker at {address} did not come up in {timeout:g} s", file=sys.stderr)
        sys.exit(1)
    os.execv(command[0], command)  # noqa: S606 - our own interpreter and arguments


def main(argv: list[str]) -> None:
    if argv[:1] == ["after"] and len(argv) >= 4 and argv[2] == "--":
        after(argv[1], argv[3:])
    elif argv[:1] == ["live"]:
        live()
    else:
        print("usage: python -m gorod.telemetry.demo after HOST:PORT -- COMMAND… | live")
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
