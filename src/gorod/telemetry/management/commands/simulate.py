"""``gorod simulate``: a simulated city fleet, replayed fast or streamed live.

    gorod simulate --devices 1000 --days 30 --via table --provision --truth truth.csv
    gorod simulate --devices 200 --via mqtt --live --interval 10 --provision
    gorod simulate --devices 5000 --days 90 --via csv --output readings.csv --hourly-csv h.csv

Destinations (``--via``):

- ``mqtt``: gateway messages (``gorod/v1/gateways/{id}/telemetry``, ``--per-message``
  readings each, QoS 1) to ``--mqtt`` or ``MQTT_URL``; the fleet's devices hang off one
  gateway device, ``<prefix>gw``, whose secret is the broker password;
- ``http``: Arrow IPC streams to ``--url`` (``POST /api/v1/telemetry/bulk``) as that gateway;
- ``table``: validated and stored in-process by the ingest service (no broker, no server);
- ``csv``: only files (``--output`` readings; ``--truth``, ``--hourly-csv`` as always).

``--provision`` creates the fleet (types, devices, the gateway) in the seeded city's
apartments and buildings, idempotently, and gives the gateway a fresh secret (it is needed for
mqtt and http; otherwise pass ``--gateway-secret``). A broker that checks passwords from
a file (Mosquitto) learns the fresh secret from ``gorod telemetry broker-config``: run it
after ``--provision``, or provision once and pass ``--gateway-secret`` from then on.

Replay runs from ``--start`` (default: ``--days`` before today) as fast as it can, or at
``--speed`` simulated seconds per second;
``--live`` starts at the current hour and sends every device's readings each ``--interval``
seconds with the current time (registers move on smoothly within each simulated hour).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gorod.telemetry.simulation import (
    HOURS_PER_DAY,
    METRICS,
    DeviceKind,
    Fleet,
    Simulator,
    events_inject,
    fleet_make,
    start_of_day,
    truth_table,
)

Sink = Callable[[pa.RecordBatch], None]
ARROW_STREAM = "application/vnd.apache.arrow.stream"
TYPE_NAMES = {
    DeviceKind.WATER_COLD: "Cold water meter",
    DeviceKind.WATER_HOT: "Hot water meter",
    DeviceKind.HEAT: "Apartment heat meter",
    DeviceKind.POWER: "Two-tariff electricity meter",
    DeviceKind.BUILDING_HEAT: "Building heat meter",
    DeviceKind.AIR: "Air quality and noise sensor",
}


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = "Simulate a city fleet's telemetry: replay history fast or stream it live."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--devices", type=int, required=True, help="devices in the fleet")
        parser.add_argument("--days", type=int, default=7, help="days to replay (7)")
        parser.add_argument("--via", choices=["mqtt", "http", "table", "csv"], required=True)
        parser.add_argument("--leaks", type=int, default=0, help="leaking water meters")
        parser.add_argument("--faults", type=int, default=0, help="faulty or tampered meters")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--start", type=dt.date.fromisoformat, help="first day (Moscow)")
        pace = parser.add_mutually_exclusive_group()
        pace.add_argument("--speed", type=float, help="simulated seconds per second")
        pace.add_argument("--live", action="store_true", help="stream from now, forever")
        parser.add_argument("--interval", type=float, default=60.0, help="live: seconds (60)")
        parser.add_argument("--prefix", default="sim-", help="device id prefix (sim-)")
        parser.add_argument("--truth", type=Path, help="write the injected anomalies here")
        parser.add_argument("--hourly-csv", type=Path, help="write water meters' hours here")
        parser.add_argument("--output", type=Path, help="--via csv: the readings file")
        parser.add_argument("--provision", action="store_true", help="create the devices")
        parser.add_argument("--gateway-secret", help="the gateway's secret (mqtt, http)")
        parser.add_argument("--mqtt", help="broker URL (default: MQTT_URL)")
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/api/v1/telemetry/bulk",
            help="--via http: the bulk endpoint",
        )
        parser.add_argument(
            "--per-message", type=int, default=2000, help="mqtt: readings per message (2000)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._check(options)
        fleet = fleet_make(options["devices"], seed=options["seed"], prefix=options["prefix"])
        secret = options["gateway_secret"]
        if options["provision"]:
            secret = fleet_provision(fleet, prefix=options["prefix"])
            self.stdout.write(f"provisioned {len(fleet)} devices behind {options['prefix']}gw")
        if options["via"] in {"mqtt", "http"} and not secret:
            raise _fail("--via mqtt and http need --provision or --gateway-secret")
        days = options["days"]
        if options["live"]:
            start = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
        else:
            first_day = options["start"] or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days))
            start = start_of_day(first_day)
        try:
            events = events_inject(
                fleet,
                start=start,
                days=days,
                leaks=options["leaks"],
                faults=options["faults"],
                seed=options["seed"],
            )
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        if options["truth"]:
            pacsv.write_csv(truth_table(events), options["truth"])
        simulator = Simulator(fleet, start=start, seed=options["seed"], events=events)
        gateway = f"{options['prefix']}gw"
        sink, close = _sink(options, gateway=gateway, secret=secret or "")
        began, sent = time.monotonic(), 0
        try:
            if options["live"]:
                sent = _live(simulator, sink, interval=options["interval"], out=self.stdout.write)
            else:
                sent = _replay(simulator, sink, days=days, options=options)
        finally:
            close()
        seconds = time.monotonic() - began
        self.stdout.write(
            f"{sent} readings of {len(fleet)} devices "
            f"{'live' if options['live'] else f'over {days} days'} via {options['via']} "
            f"in {seconds:.1f} s ({sent / max(seconds, 1e-9):,.0f} readings/s); "
            f"{len(events)} anomalies injected"
        )

    def _check(self, options: dict[str, Any]) -> None:
        if options["devices"] < 1:
            raise _fail("--devices must be at least 1")
        if options["days"] < 1:
            raise _fail("--days must be at least 1")
        if options["speed"] is not None and options["speed"] <= 0:
            raise _fail("--speed must be positive")
        if options["interval"] <= 0:
            raise _fail("--interval must be positive")
        if options["per_message"] < 1:
            raise _fail("--per-message must be at least 1")
        if options["via"] == "csv" and options["output"] is None:
            raise _fail("--via csv needs --output")
        if options["live"] and options["hourly_csv"]:
            raise _fail("--hourly-csv is for a replay, not --live")
        for name in ("truth", "hourly_csv", "output"):
            path = options[name]
            if path is not None and not path.resolve().parent.is_dir():
                raise _fail(f"--{name.replace('_', '-')}: no such directory {path.parent}")


# --- replay and live ----------------------------------------------------------------------


def _replay(simulator: Simulator, sink: Sink, *, days: int, options: dict[str, Any]) -> int:
    hourly_path: Path | None = options["hourly_csv"]
    speed: float | None = options["speed"]
    sent = 0
    writer = None
    began = time.monotonic()
    try:
        for index, (readings, hourly) in enumerate(simulator.both(days)):
            if hourly_path is not None:
                writer = writer or pacsv.CSVWriter(hourly_path, _hourly_text(hourly).schema)
                writer.write(_hourly_text(hourly))
            if not speed:
                sink(readings)
                sent += readings.num_rows
                continue
            for hour in range(HOURS_PER_DAY):  # hold back to the simulated clock
                due = began + (index * HOURS_PER_DAY + hour + 1) * 3600 / speed
                time.sleep(max(due - time.monotonic(), 0.0))
                part = _hour_of(readings, hour)
                sink(part)
                sent += part.num_rows
    finally:
        if writer is not None:
            writer.close()
    return sent


def _hourly_text(hourly: pa.RecordBatch) -> pa.RecordBatch:
    """Times as ISO 8601 in Moscow time, as people write them."""
    moscow = pc.add(hourly.column("time"), pa.scalar(3 * 3600 * 10**6, pa.duration("us")))
    local = pc.strftime(moscow.cast(pa.timestamp("s", tz="UTC")), format="%Y-%m-%dT%H:%M:%S+03:00")
    return hourly.set_column(1, "time", local)


def _hour_of(readings: pa.RecordBatch, hour: int) -> pa.RecordBatch:
    stamps = readings.column("ts").cast(pa.int64()).to_numpy()
    first = stamps.min() if len(stamps) else 0
    hours = (stamps - first) // (3600 * 10**6)
    return readings.filter(pa.array(hours == hour))


def _live(simulator: Simulator, sink: Sink, *, interval: float, out: Callable[[str], Any]) -> int:
    """Each interval, every device's registers interpolated within the simulated hour."""
    sent = 0
    before: pa.RecordBatch | None = None
    hour_start = simulator.start
    after = simulator.step(1)
    try:
        while True:
            now = dt.datetime.now(dt.UTC)
            while now >= hour_start + dt.timedelta(hours=1):
                before, hour_start = after, hour_start + dt.timedelta(hours=1)
                after = simulator.step(1)
            fraction = (now - hour_start) / dt.timedelta(hours=1)
            batch = _interpolated(before, after, fraction, now)
            sink(batch)
            sent += batch.num_rows
            out(f"{now:%H:%M:%S} sent {batch.num_rows} readings")
            time.sleep(interval)
    except KeyboardInterrupt:  # the way a live stream ends
        return sent


def _interpolated(
    before: pa.RecordBatch | None, after: pa.RecordBatch, fraction: float, now: dt.datetime
) -> pa.RecordBatch:
    steady = pc.not_equal(after.column("metric"), "tamper")
    values = after.filter(steady).column("value").to_numpy()
    if before is not None:
        previous = before.filter(pc.not_equal(before.column("metric"), "tamper"))
        if previous.num_rows == len(values):
            start = previous.column("value").to_numpy()
            values = start + fraction * (values - start)
    flagged = after.filter(pc.invert(steady))
    stamp = pa.scalar(now, pa.timestamp("us", tz="UTC"))
    steady_rows = after.filter(steady)
    columns = [
        pa.concat_arrays([steady_rows.column("device_id"), flagged.column("device_id")]),
        pa.concat_arrays([steady_rows.column("metric"), flagged.column("metric")]),
        pa.array(np.full(after.num_rows, stamp.value), pa.timestamp("us", tz="UTC")),
        pa.concat_arrays([pa.array(values, pa.float64()), flagged.column("value")]),
    ]
    return pa.RecordBatch.from_arrays(columns, names=after.schema.names)


# --- sinks --------------------------------------------------------------------------------


def _sink(options: dict[str, Any], *, gateway: str, secret: str) -> tuple[Sink, Callable[[], None]]:
    via = options["via"]
    if via == "csv":
        return _csv_sink(options["output"])
    if via == "table":
        return _table_sink, lambda: None
    if via == "http":
        return _http_sink(options["url"], gateway=gateway, secret=secret), lambda: None
    return _mqtt_sink(options, gateway=gateway, secret=secret)


def _csv_sink(path: Path) -> tuple[Sink, Callable[[], None]]:
    state: dict[str, pacsv.CSVWriter] = {}

    def write(batch: pa.RecordBatch) -> None:
        if "writer" not in state:
            state["writer"] = pacsv.CSVWriter(path, batch.schema)
        state["writer"].write(batch)

    def close() -> None:
        if "writer" in state:
            state["writer"].close()
        else:  # nothing simulated: still an honest, empty file with its header
            path.write_text("device_id,metric,ts,value\n")

    return write, close


def _table_sink(batch: pa.RecordBatch) -> None:
    from gorod.telemetry import ingest

    parsed = ingest.parse_table(pa.Table.from_batches([batch]))
    result = ingest.store(parsed, source="http")  # an in-process back-fill, as over HTTP
    if result.rejected:
        reasons = sorted({r.reason for r in parsed.rejections})
        raise _fail(
            f"{result.rejected} readings refused ({', '.join(reasons)}): "
            "are the devices provisioned (--provision)?"
        )


def _http_sink(url: str, *, gateway: str, secret: str) -> Sink:
    def post(batch: pa.RecordBatch) -> None:
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as writer:
            writer.write_batch(batch)
        request = urllib.request.Request(  # noqa: S310 - the operator chooses the URL
            url,
            data=sink.getvalue().to_pybytes(),
            method="POST",
            headers={"Content-Type": ARROW_STREAM, "Authorization": f"Bearer {secret}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                reply = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise _fail(f"{url}: HTTP {exc.code} {exc.read()[:300]!r}") from exc
        except urllib.error.URLError as exc:
            raise _fail(f"{url}: {exc.reason}") from exc
        if reply.get("rejected"):
            raise _fail(f"{url}: {reply['rejected']} readings refused: {reply}")

    return post


def _mqtt_messages(batch: pa.RecordBatch, per_message: int) -> Iterator[bytes]:
    """Gateway payloads: ``{"devices": {id: [{"metric", "ts", "value"}, ...]}}``."""
    ids = batch.column("device_id").to_pylist()
    metrics = batch.column("metric").to_pylist()
    stamps = (batch.column("ts").cast(pa.int64()).to_numpy() // 1000).tolist()  # epoch ms
    values = batch.column("value").to_pylist()
    for low in range(0, len(ids), per_message):
        devices: dict[str, list[dict[str, Any]]] = {}
        for row in range(low, min(low + per_message, len(ids))):
            devices.setdefault(ids[row], []).append(
                {"metric": metrics[row], "ts": stamps[row], "value": values[row]}
            )
        yield json.dumps({"devices": devices}, separators=(",", ":")).encode()


def _mqtt_sink(
    options: dict[str, Any], *, gateway: str, secret: str
) -> tuple[Sink, Callable[[], None]]:
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    from gorod.telemetry.mqtt import (
        GATEWAY_TOPIC,
        BrokerUrlError,
        broker_from_environment,
        broker_parse,
    )

    try:
        broker = broker_parse(options["mqtt"]) if options["mqtt"] else broker_from_environment()
    except BrokerUrlError as exc:
        raise _fail(str(exc)) from exc
    client = paho.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"simulator-{gateway}",
        protocol=paho.MQTTv5 if broker.mqtt5 else paho.MQTTv311,
    )
    client.username_pw_set(gateway, secret)
    if broker.tls:
        client.tls_set()
    try:
        client.connect(broker.host, broker.port)
    except OSError as exc:
        raise _fail(f"cannot reach the broker at {broker.url}: {exc}") from exc
    client.loop_start()
    topic = GATEWAY_TOPIC.format(gateway_id=gateway)

    def publish(batch: pa.RecordBatch) -> None:
        pending = [
            client.publish(topic, payload, qos=1)
            for payload in _mqtt_messages(batch, options["per_message"])
        ]
        for info in pending:
            info.wait_for_publish(timeout=60)
            if not info.is_published():
                raise _fail(f"the broker at {broker.url} did not acknowledge a message")

    def close() -> None:
        client.loop_stop()
        client.disconnect()

    return publish, close


# --- provisioning -------------------------------------------------------------------------


def fleet_provision(fleet: Fleet, *, prefix: str) -> str:
    """The fleet's devices in the city's apartments (in id order) behind one gateway; the
    devices already there are kept; returns the gateway's fresh secret."""
    from django.db import transaction

    from gorod.errors import ApplicationError
    from gorod.places.models import Apartment
    from gorod.telemetry.models import Device
    from gorod.telemetry.services import (
        DeviceSpec,
        device_secret_rotate,
        device_type_ensure,
        devices_provision,
    )

    flats = int(fleet.apartment.max()) + 1
    apartments = list(
        Apartment.objects.order_by("pk").values_list("pk", "building_id")[: max(flats, 1)]
    )
    if len(apartments) < flats:
        raise _fail(
            f"the fleet needs {flats} apartments and the city has {len(apartments)}: "
            "seed the city first (gorod seed) or simulate fewer devices"
        )
    buildings = sorted({b for _a, b in apartments})
    gateway = f"{prefix}gw"
    with transaction.atomic():
        for kind, metrics in METRICS.items():
            extra = ("tamper",) if kind in (DeviceKind.WATER_COLD, DeviceKind.WATER_HOT) else ()
            device_type_ensure(
                code=_type_code(kind), name=TYPE_NAMES[kind], metrics=[*metrics, *extra]
            )
        device_type_ensure(code="gateway", name="Gateway", metrics=[])
        existing = set(
            Device.objects.filter(id__in=[gateway, *fleet.device_ids]).values_list("id", flat=True)
        )
        specs = []
        if gateway not in existing:
            specs.append(
                DeviceSpec(
                    device_id=gateway,
                    device_type="gateway",
                    building_id=apartments[0][1],
                    is_gateway=True,
                )
            )
        for index, device_id in enumerate(fleet.device_ids):
            if device_id in existing:
                continue
            flat = int(fleet.apartment[index])
            specs.append(
                DeviceSpec(
                    device_id=device_id,
                    device_type=_type_code(fleet.kinds[index]),
                    apartment_id=apartments[flat][0] if flat >= 0 else None,
                    building_id=None
                    if flat >= 0
                    else buildings[int(fleet.building[index]) % len(buildings)],
                    gateway_id=gateway,
                )
            )
        try:
            made = devices_provision(specs=specs)
        except ApplicationError as exc:
            raise _fail(f"provisioning: {exc}") from exc
        fresh = {p.device.pk: p.secret for p in made}
        if gateway in fresh:
            return fresh[gateway]
        return device_secret_rotate(device=Device.objects.get(pk=gateway))


def _type_code(kind: DeviceKind) -> str:
    return f"sim-{kind.value.replace('_', '-')}"
