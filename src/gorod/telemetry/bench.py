"""``gorod bench ingest``: readings per second into the telemetry table, end to end.

Everything runs in a stage of its own: a fresh database (a SQLite file, or a new database
on the configured PostgreSQL server), an empty telemetry table in a temporary directory and
a private Mosquitto on a free port. Devices are registered directly (not timed).

Sections:
- ``mqtt-batched``: publisher processes send messages of ``--readings-per-message`` readings
  (QoS 1) to ``--workers`` ``gorod ingest`` processes on one shared subscription; the clock
  runs from the first publish until the last reading is in the table.
- ``mqtt-single``: the same with one reading per message.
- ``http-json`` / ``http-arrow`` / ``http-parquet``: a gunicorn server; client processes POST
  ``--http-readings-per-request`` readings per request as a gateway to ``/api/v1/telemetry/
  bulk``; the clock runs from the first request until the last reply (each reply is sent
  only once the batch is durable).
- ``queries``: T1's query benchmark (``gorod.telemetry.bench_queries``) when it exists.

The stage (:class:`Stage`) is also what the reliability tests run their workers in; with
``preload`` its workers are forked from an interpreter that has set Django up and imported
the worker's modules once, so a worker starts in a fraction of a second (the tests restart
one ten times) instead of paying Python's and Django's start-up each time.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from gorod.telemetry.mqtt import (
    DEVICE_TOPIC,
    GATEWAY_TOPIC,
    Broker,
    free_port,
    private_mosquitto,
    wait_listening,
)

SECTIONS = ("mqtt-batched", "mqtt-single", "http-json", "http-arrow", "http-parquet", "queries")
BASE_TS_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
GATEWAY = "bench-gw"
BARRIER_TIMEOUT = 600.0
GATEWAY_SECRET = "bench-gw.bench-secret-0123456789abcdefghijklmnopqrstu"  # noqa: S105 - a bench stage's own

SETUP = """
import os, sys, json
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gorod.settings")
import django
django.setup()
"""

PROVISION = (
    SETUP
    + """
from gorod.places.models import Apartment, Building, District, Okrug
from gorod.telemetry.models import Device, DeviceType
from gorod.telemetry.secrets import secret_hash
prefix, count, gateway, gateway_secret = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
okrug, _ = Okrug.objects.get_or_create(okato="45990000", defaults={"name": "Bench", "abbrev": "B"})
district, _ = District.objects.get_or_create(
    okato="45990001", defaults={"name": "Bench district", "okrug": okrug}
)
building, _ = Building.objects.get_or_create(
    address="Bench street 1", district=district, defaults={"lat": 55.75, "lon": 37.62}
)
kind, _ = DeviceType.objects.get_or_create(
    code="bench-meter", defaults={"name": "Bench meter", "metrics": ["water_cold_m3", "flow_lph"]}
)
Device.objects.get_or_create(
    id=gateway,
    defaults={"device_type": kind, "building": building, "district": district,
              "secret_hash": secret_hash(gateway_secret), "is_gateway": True},
)
Device.objects.bulk_create(
    [
        Device(id=f"{prefix}-{n:07d}", device_type=kind, building=building, district=district,
               gateway_id=gateway, secret_hash="-")
        for n in range(count)
    ],
    batch_size=2000,
    ignore_conflicts=True,
)
"""
)

PRELOAD = (
    SETUP
    + """
import signal, traceback
from django.db import connections
from django.urls import get_resolver
import gorod.telemetry.management.commands.ingest  # the worker's modules, imported once
from gorod.cli import main
get_resolver().url_patterns  # what the command's system checks import
connections.close_all()  # no connection may be shared with a child
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers
print("ready", flush=True)
for line in sys.stdin:
    args, log = json.loads(line)
    pid = os.fork()
    if pid:
        print(pid, flush=True)
        continue
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd, target in ((0, os.open(os.devnull, os.O_RDONLY)),
                       (1, os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))):
        os.dup2(target, fd)
        os.close(target)
    os.dup2(1, 2)
    code = 0
    try:
        main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
"""
)
"""Forks ``gorod`` commands on request: a JSON line ``[argv, log path]`` in, the pid out."""

DEAD_LETTERS = (
    SETUP
    + """
from gorod.telemetry.models import DeadLetter
print(json.dumps([[d.reason, d.device_id, d.topic, d.count] for d in DeadLetter.objects.all()]))
"""
)


class Worker(Protocol):
    """What a stage does with a worker process (a ``Popen``, or a :class:`Forked`)."""

    pid: int

    def poll(self) -> int | None: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...

    def wait(self, timeout: float | None = None) -> int: ...


class Forked:
    """A worker forked by the preloading interpreter, which the kernel reaps (its exit status
    is not kept: ``returncode`` is -1 once it has gone)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1
        return self.returncode

    def send_signal(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"worker {self.pid}", timeout or 0)
            time.sleep(0.01)
        return code


@dataclass
class Stage:
    """A database, a telemetry table and a broker of their own; processes started in it."""

    env: dict[str, str]
    broker: Broker
    table_uri: str
    directory: Path
    workers: dict[str, Worker] = field(default_factory=dict)
    preloaded: subprocess.Popen[str] | None = None

    def python(self, code: str, *args: str) -> str:
        # S603: our own interpreter running our own code.
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", code, *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(done.stderr[-3000:])
        return done.stdout

    def provision(self, prefix: str, count: int) -> list[str]:
        """``count`` active meters ``<prefix>-0000000``… behind the bench gateway."""
        self.python(PROVISION, prefix, str(count), GATEWAY, GATEWAY_SECRET)
        return [f"{prefix}-{n:07d}" for n in range(count)]

    def dead_letters(self) -> list[tuple[str, str, str, int]]:
        return [tuple(row) for row in json.loads(self.python(DEAD_LETTERS))]

    def preload(self, *, timeout: float = 300) -> None:
        """Start the interpreter that later workers are forked from."""
        # S603: our own interpreter running our own code.
        self.preloaded = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", PRELOAD],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if _read_line(self.preloaded, timeout) != "ready":
            raise RuntimeError("the preloading interpreter did not start")

    def worker_start(self, client_id: str, *extra: str, timeout: float = 60) -> Worker:
        """Start ``gorod ingest --id client_id``; return once it has subscribed."""
        path = self.directory / f"{client_id}.log"
        seen = len(path.read_text(errors="replace")) if path.exists() else 0
        argv = ["ingest", f"--id={client_id}", f"--url={self.broker.url}", "-v2", *extra]
        process: Worker
        if self.preloaded is not None:
            assert self.preloaded.stdin is not None  # noqa: S101 - opened with a pipe
            self.preloaded.stdin.write(json.dumps([argv, str(path)]) + "\n")
            self.preloaded.stdin.flush()
            process = Forked(int(_read_line(self.preloaded, timeout)))
        else:
            with path.open("ab") as log:
                # S603: our own command line.
                process = subprocess.Popen(  # noqa: S603
                    [sys.executable, "-m", "gorod.cli", *argv],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
        self.workers[client_id] = process
        deadline = time.monotonic() + timeout
        marker = f"worker {client_id} subscribed"
        while marker not in self.worker_log(client_id)[seen:]:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self.worker_log(client_id)[-3000:])
            time.sleep(0.05)
        return process

    def preload_stop(self) -> None:
        if self.preloaded is None:
            return
        assert self.preloaded.stdin is not None  # noqa: S101 - opened with a pipe
        self.preloaded.stdin.close()  # it ends when its input does
        try:
            self.preloaded.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.preloaded.kill()
            self.preloaded.wait()
        self.preloaded = None

    def worker_log(self, client_id: str) -> str:
        path = self.directory / f"{client_id}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def workers_stop(self, *, timeout: float = 30) -> None:
        for process in self.workers.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.workers.values():
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def count(self, *, raw: bool = False) -> int:
        """Readings in the table: as stored (``raw``) or as every query counts them."""
        from gorod.telemetry import table

        if table.open_table(self.table_uri) is None:
            return 0
        query = "SELECT count(*) FROM readings_raw" if raw else "SELECT count(*) FROM readings"
        with table.connect(self.table_uri) as con:
            row = con.execute(query)
            result = row.fetchone()
        return int(result[0]) if result else 0

    def stored_raw(self) -> int:
        """Rows as stored, from the table's log alone: cheap enough to poll."""
        import pyarrow as pa
        import pyarrow.compute as pc

        from gorod.telemetry import table

        delta = table.open_table(self.table_uri)
        if delta is None:
            return 0
        actions = pa.table(delta.get_add_actions(flatten=True))
        return int(pc.sum(actions["num_records"]).as_py() or 0) if len(actions) else 0

    def wait_for(self, expected: int, *, timeout: float) -> int:
        """Poll the stored rows until ``expected`` are there, then count as queries do."""
        deadline = time.monotonic() + timeout
        while self.stored_raw() < expected and time.monotonic() < deadline:
            time.sleep(0.05)
        seen = self.count()
        # Rows stored twice (a redelivered batch) count once: wait for the missing ones.
        while seen < expected and time.monotonic() < deadline:
            time.sleep(0.2)
            seen = self.count()
        return seen


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    """A line from the process's output, or an error if it has none within ``timeout``."""
    import selectors

    stream: IO[str] | None = process.stdout
    assert stream is not None  # noqa: S101 - opened with a pipe
    with selectors.DefaultSelector() as waiting:
        waiting.register(stream, selectors.EVENT_READ)
        if not waiting.select(timeout):
            raise RuntimeError(f"no answer from process {process.pid} within {timeout} s")
    return stream.readline().strip()


@contextlib.contextmanager
def migrated_database(prefix: str = "gorod_ingest") -> Iterator[dict[str, str]]:
    """Environment variables naming a fresh, migrated database (dropped afterwards)."""
    from gorod.ledger.bench import temporary_database

    with temporary_database(prefix=prefix) as database:
        env = {**os.environ, **database, "PYTHONUNBUFFERED": "1"}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        subprocess.run(
            [sys.executable, "-m", "gorod.cli", "migrate", "-v0"],
            env=env,
            check=True,
            capture_output=True,
        )
        yield env


@contextlib.contextmanager
def stage(
    prefix: str = "gorod_ingest", *, database: dict[str, str] | None = None, preload: bool = False
) -> Iterator[Stage]:
    """A :class:`Stage`: a migrated database (this one, or a new one), an empty table in a
    temporary directory, a private Mosquitto; with ``preload``, workers forked from one
    interpreter (:data:`PRELOAD`)."""
    with contextlib.ExitStack() as stack:
        env = dict(database) if database else stack.enter_context(migrated_database(prefix))
        directory = stack.enter_context(tempfile.TemporaryDirectory(prefix=f"{prefix}_"))
        broker = stack.enter_context(private_mosquitto())
        table_uri = str(Path(directory) / "telemetry")
        env.update(
            {
                "GOROD_TELEMETRY_TABLE": table_uri,
                "GOROD_TELEMETRY_REGISTRY_TTL": "300",
                "MQTT_URL": broker.url,
            }
        )
        running = Stage(env=env, broker=broker, table_uri=table_uri, directory=Path(directory))
        try:
            if preload:
                running.preload()
            yield running
        finally:
            running.workers_stop(timeout=10)
            running.preload_stop()


# --- payloads -----------------------------------------------------------------------------


def device_payload(readings: Sequence[tuple[str, int, float]]) -> bytes:
    """``{"readings": [...]}`` for (metric, epoch ms, value) triples."""
    items = ",".join(f'{{"metric":"{m}","ts":{ts},"value":{v!r}}}' for m, ts, v in readings)
    return f'{{"readings":[{items}]}}'.encode()


def gateway_payload(readings: Mapping[str, Sequence[tuple[str, int, float]]]) -> bytes:
    parts = []
    for device_id, items in readings.items():
        body = ",".join(f'{{"metric":"{m}","ts":{ts},"value":{v!r}}}' for m, ts, v in items)
        parts.append(f'"{device_id}":[{body}]')
    return f'{{"devices":{{{",".join(parts)}}}}}'.encode()


def _message(devices: Sequence[str], number: int, per_message: int) -> tuple[str, bytes]:
    """Message ``number``: one device's reading, or a gateway message of ``per_message``."""
    if per_message == 1:
        device = devices[number % len(devices)]
        ts = BASE_TS_MS + (number // len(devices)) * 1000
        return DEVICE_TOPIC.format(device_id=device), device_payload(
            [("water_cold_m3", ts, float(number % 1000))]
        )
    first = number * per_message
    grouped: dict[str, list[tuple[str, int, float]]] = {}
    for reading in range(first, first + per_message):
        device = devices[reading % len(devices)]
        ts = BASE_TS_MS + (reading // len(devices)) * 1000
        grouped.setdefault(device, []).append(("water_cold_m3", ts, float(reading % 1000)))
    return GATEWAY_TOPIC.format(gateway_id=GATEWAY), gateway_payload(grouped)


def _publish(
    broker: Broker, devices: Sequence[str], numbers: range, per_message: int, start: Any
) -> None:
    """One publisher process: prepare its messages, wait for the start, send them (QoS 1)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    messages = [_message(devices, n, per_message) for n in numbers]
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(broker.host, broker.port)
    client.loop_start()
    start.wait(timeout=BARRIER_TIMEOUT)
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(timeout=300)
    client.disconnect()
    client.loop_stop()


def publish_parallel(
    broker: Broker, devices: Sequence[str], *, messages: int, per_message: int, processes: int
) -> float:
    """Send ``messages`` messages from ``processes`` processes; returns the common start time."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes + 1)  # every process has its messages and a connection
    share = -(-messages // processes)
    children = [
        context.Process(
            target=_publish,
            args=(
                broker,
                list(devices),
                range(p * share, min(messages, (p + 1) * share)),
                per_message,
                start,
            ),
        )
        for p in range(processes)
    ]
    return _run_all(children, start)


def _run_all(children: Sequence[multiprocessing.process.BaseProcess], start: Any) -> float:
    """Start the children; once all are ready (the barrier), the clock starts: its time."""
    for child in children:
        child.start()
    start.wait(timeout=BARRIER_TIMEOUT)
    started = time.time()
    for child in children:
        child.join()
    return started


# --- sections -----------------------------------------------------------------------------


def _say(text: str) -> None:
    print(f"[ingest bench] {text}", file=sys.stderr, flush=True)


def _mqtt(
    running: Stage, *, prefix: str, readings: int, per_message: int, options: dict[str, Any]
) -> dict[str, Any]:
    _say(f"MQTT, {per_message} readings per message: registering devices")
    devices = running.provision(prefix, options["devices"])
    before = running.count()
    batch_messages = max(1, options["batch_readings"] // per_message)
    workers = [
        running.worker_start(
            # The same ids in every section: a stopped worker's session stays in the shared
            # group and keeps receiving its share until that worker comes back.
            f"bench-{n}",
            f"--batch-messages={batch_messages}",
            "--batch-ms=200",
            f"--receive-maximum={min(65535, max(100, 4 * batch_messages))}",
        )
        for n in range(options["workers"])
    ]
    _say(f"{len(workers)} workers subscribed; publishing")
    messages = readings // per_message
    started = publish_parallel(
        running.broker,
        devices,
        messages=messages,
        per_message=per_message,
        processes=options["publishers"],
    )
    _say("published; waiting for the table")
    stored = running.wait_for(before + messages * per_message, timeout=options["timeout"])
    elapsed = time.time() - started
    running.workers_stop()
    return {
        "readings": messages * per_message,
        "readings_per_message": per_message,
        "messages": messages,
        "workers": options["workers"],
        "publishers": options["publishers"],
        "stored": stored - before,
        "seconds": round(elapsed, 3),
        "readings_per_second": round((stored - before) / elapsed),
        "complete": stored - before == messages * per_message,
    }


def _http_body(kind: str, devices: Sequence[str], first: int, count: int) -> tuple[bytes, str]:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pyarrow import ipc

    if kind == "json":
        grouped: dict[str, list[tuple[str, int, float]]] = {}
        for reading in range(first, first + count):
            device = devices[reading % len(devices)]
            ts = BASE_TS_MS + (reading // len(devices)) * 1000
            grouped.setdefault(device, []).append(("water_cold_m3", ts, float(reading % 1000)))
        return gateway_payload(grouped), "application/json"
    numbers = list(range(first, first + count))
    data = pa.table(
        {
            "device_id": pa.array([devices[r % len(devices)] for r in numbers]),
            "metric": pa.array(["water_cold_m3"] * count),
            "ts": pa.array([BASE_TS_MS + (r // len(devices)) * 1000 for r in numbers], pa.int64()),
            "value": pa.array([float(r % 1000) for r in numbers], pa.float64()),
        }
    )
    sink = io.BytesIO()
    if kind == "arrow":
        with ipc.new_stream(sink, data.schema) as writer:
            writer.write_table(data)
        return sink.getvalue(), "application/vnd.apache.arrow.stream"
    pq.write_table(data, sink, compression="zstd")
    return sink.getvalue(), "application/vnd.apache.parquet"


def _post(url: str, bodies: Sequence[tuple[bytes, str]], start: Any | None) -> None:
    if start is not None:
        start.wait(timeout=BARRIER_TIMEOUT)
    for body, content_type in bodies:
        request = urllib.request.Request(  # noqa: S310 - our own local server
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": content_type,
                "Authorization": f"Bearer {GATEWAY_SECRET}",
            },
        )
        with urllib.request.urlopen(request, timeout=300) as reply:  # noqa: S310
            if reply.status != 200:
                raise RuntimeError(f"{reply.status}: {reply.read()[:300]!r}")


def _http(running: Stage, *, kind: str, options: dict[str, Any]) -> dict[str, Any]:
    _say(f"HTTP {kind}: registering devices, starting gunicorn")
    devices = running.provision(f"h{kind[0]}", options["devices"])
    port = free_port()
    # S603: our own interpreter and arguments.
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "gorod.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={options['http_servers']}",
            "--timeout=300",
            "--no-control-socket",
        ],
        env={**running.env, "GOROD_PROFILE": "demo"},
        stdout=subprocess.DEVNULL,
        stderr=(running.directory / "gunicorn.log").open("ab"),
    )
    try:
        if not wait_listening("127.0.0.1", port, timeout=60):
            raise RuntimeError("gunicorn did not start")
        per_request = options["http_readings_per_request"]
        total = options["http_readings"]
        requests = max(1, total // per_request)
        bodies = [_http_body(kind, devices, n * per_request, per_request) for n in range(requests)]
        _post(f"http://127.0.0.1:{port}/api/v1/telemetry/bulk", bodies[:1], None)  # warm up
        before = running.count()
        clients = options["http_clients"]
        context = multiprocessing.get_context("spawn")
        start = context.Barrier(clients + 1)
        children = [
            context.Process(
                target=_post,
                args=(
                    f"http://127.0.0.1:{port}/api/v1/telemetry/bulk",
                    bodies[c::clients],
                    start,
                ),
            )
            for c in range(clients)
        ]
        started = _run_all(children, start)
        elapsed = time.time() - started
        failed = [child.exitcode for child in children if child.exitcode]
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = running.count() - before
    sent = requests * per_request
    return {
        "format": kind,
        "readings": sent,
        "readings_per_request": per_request,
        "requests": requests,
        "clients": clients,
        "server_processes": options["http_servers"],
        "body_bytes": sum(len(body) for body, _type in bodies),
        "seconds": round(elapsed, 3),
        "readings_per_second": round(sent / elapsed) if not failed else 0,
        "failed_clients": len(failed),
        # The warm-up request stored the first batch already: every query counts it once.
        "stored_new": stored,
    }


# --- the command --------------------------------------------------------------------------


def _sections(raw: str) -> list[str]:
    chosen = [s.strip() for s in raw.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"sections are a comma-separated choice of {', '.join(SECTIONS)}"
        )
    return chosen


def _positive(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {raw!r}")
    return int(raw)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sections", type=_sections, default=list(SECTIONS[:5]))
    parser.add_argument("--readings", type=_positive, default=3_000_000, help="MQTT, batched")
    parser.add_argument("--readings-per-message", type=_positive, default=1000)
    parser.add_argument("--single-readings", type=_positive, default=50_000)
    parser.add_argument("--devices", type=_positive, default=10_000)
    parser.add_argument("--workers", type=_positive, default=2, help="gorod ingest processes")
    parser.add_argument("--publishers", type=_positive, default=2)
    parser.add_argument("--batch-readings", type=_positive, default=500_000)
    parser.add_argument("--http-readings", type=_positive, default=4_000_000)
    parser.add_argument("--http-readings-per-request", type=_positive, default=1_000_000)
    parser.add_argument("--http-clients", type=_positive, default=2)
    parser.add_argument("--http-servers", type=_positive, default=2)
    parser.add_argument("--timeout", type=float, default=600.0, help="per section, seconds")


def run(**options: Any) -> dict[str, Any]:
    figures: dict[str, Any] = {"cpus": os.cpu_count()}
    sections = options["sections"]
    _say("preparing a database, a table and a private Mosquitto")
    with stage(prefix="gorod_bench_ingest") as running:
        figures["database"] = "postgresql" if running.env.get("DATABASE_URL") else "sqlite"
        if "mqtt-batched" in sections:
            figures["mqtt_batched"] = _mqtt(
                running,
                prefix="mb",
                readings=options["readings"],
                per_message=options["readings_per_message"],
                options=options,
            )
        if "mqtt-single" in sections:
            figures["mqtt_single"] = _mqtt(
                running,
                prefix="ms",
                readings=options["single_readings"],
                per_message=1,
                options=options,
            )
        for kind in ("json", "arrow", "parquet"):
            if f"http-{kind}" in sections:
                figures[f"http_{kind}"] = _http(running, kind=kind, options=options)
    if "queries" in sections:
        figures["queries"] = _queries()
    return figures


def _queries() -> dict[str, Any]:
    try:
        module = importlib.import_module("gorod.telemetry.bench_queries")
    except ModuleNotFoundError:
        return {"skipped": "gorod.telemetry.bench_queries is not there"}
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    result: dict[str, Any] = module.run(**vars(parser.parse_args([])))
    return result
