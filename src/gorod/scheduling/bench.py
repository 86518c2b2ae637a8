"""Booking under contention: concurrent clients over HTTP against a real server, per database.

For each database (PostgreSQL when ``DATABASE_URL`` names one, and SQLite) the benchmark
makes a fresh database, migrates it, fills it (one office, a counter per service, its
slots, citizens with API tokens; not timed), starts the web server on a free port
(``--server``: Granian by default, or gunicorn's gthread workers; configured as
docs/scheduling.md tells operators to run them), and lets
``--clients`` clients book at once. Each client picks, at random, one of the earliest
``--window`` slots not yet known to be taken and books it at once for one of its
citizens, so the clients keep colliding on the same slots. Two ways of asking, one run
each (``--modes``):

- ``chosen``: ``POST /api/v1/scheduling/bookings`` with that slot and ``confirm``, as a
  visitor who picked a time; a 201 is a booking, a 409 a slot lost to another client.
- ``earliest``: ``POST /api/v1/scheduling/bookings/earliest`` for that slot's service at
  the office, as a visitor who takes the first available time; the server gives parallel
  requests different slots, so there are no lost races (a 409 means the service has no
  free time left).

After each run a query counts the slots with more than one active booking (must be 0)
and checks that the active bookings are exactly the 201s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BOOKINGS_PATH = "/api/v1/scheduling/bookings"
EARLIEST_PATH = "/api/v1/scheduling/bookings/earliest"
MODES = ("chosen", "earliest")
SERVERS = ("granian", "gunicorn")
# Requests a Granian worker takes on at once; the rest wait in its queue, not in threads.
GRANIAN_BACKPRESSURE = 64
WARM_UP_PATH = "/api/v1/scheduling/services"
LIMIT_PER_SERVICE = 2  # the default of GOROD_SCHEDULING_ACTIVE_PER_SERVICE
DOUBLE_BOOKED_SQL = (
    "SELECT COUNT(*) FROM (SELECT slot_id FROM scheduling_booking "
    "WHERE status IN ('pending', 'booked', 'arrived', 'fulfilled') "
    "GROUP BY slot_id HAVING COUNT(*) > 1) AS doubled"
)
# The bookings the run made: held or booked (the history is all fulfilled).
ACTIVE_SQL = "SELECT COUNT(*) FROM scheduling_booking WHERE status IN ('pending', 'booked')"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients (64)")
    parser.add_argument("--services", type=int, default=40, help="counters, one service each")
    parser.add_argument("--days", type=int, default=28, help="days of slots (28; 48 a day)")
    parser.add_argument("--citizens", type=int, default=16, help="citizens per client (16)")
    parser.add_argument("--window", type=int, default=16, help="earliest free slots to pick from")
    parser.add_argument(
        "--history", type=int, default=14, help="past days of fulfilled visits (14)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="web server worker processes (2, a core each)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument(
        "--server", choices=SERVERS, default=SERVERS[0], help="the web server (granian)"
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="stop after (60 s)")
    parser.add_argument(
        "--databases",
        default="auto",
        help="postgresql,sqlite (auto: PostgreSQL when DATABASE_URL names it, and SQLite)",
    )
    parser.add_argument(
        "--modes",
        default="chosen,earliest",
        help="chosen (a picked slot), earliest (the first available time), or both",
    )
    parser.add_argument("--seed", type=int, default=2026)


def run(**options: Any) -> dict[str, Any]:
    for name in ("clients", "services", "days", "citizens", "window", "workers", "threads"):
        if options[name] < 1:
            raise ValueError(f"--{name} must be at least 1")
    if options["history"] < 0:
        raise ValueError("--history must be 0 or more")
    if options["server"] not in SERVERS:
        raise ValueError(f"--server takes {' or '.join(SERVERS)}")
    modes = [part.strip() for part in options["modes"].split(",") if part.strip()]
    if not modes or set(modes) - set(MODES):
        raise ValueError("--modes takes chosen and/or earliest")
    figures: dict[str, Any] = {
        "clients": options["clients"],
        "server": f"{options['server']} {options['workers']} workers"
        f" x {options['threads']} threads",
        "cpus": os.cpu_count(),
        "load_average_before": round(os.getloadavg()[0], 2),
    }
    for database in _databases(options["databases"]):
        for mode in modes:
            with _fresh_database(database) as env:
                figures.setdefault(database, {})[mode] = _bench_one(env, database, mode, options)
    figures["load_average_after"] = round(os.getloadavg()[0], 2)
    return figures


def _databases(choice: str) -> list[str]:
    if choice == "auto":
        url = os.environ.get("DATABASE_URL", "")
        return ["postgresql", "sqlite"] if url.startswith("postgres") else ["sqlite"]
    chosen = [part.strip() for part in choice.split(",") if part.strip()]
    unknown = set(chosen) - {"postgresql", "sqlite"}
    if unknown or not chosen:
        raise ValueError("--databases takes postgresql and/or sqlite")
    if "postgresql" in chosen and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise ValueError("PostgreSQL needs DATABASE_URL to name a PostgreSQL server")
    return chosen


@contextlib.contextmanager
def _fresh_database(database: str) -> Iterator[dict[str, str]]:
    """Environment for the children naming a new, empty database; dropped afterwards."""
    with tempfile.TemporaryDirectory(prefix="gorod-bench-") as home:
        env = {
            **os.environ,
            "GOROD_PROFILE": "demo",
            "DEBUG": "false",
            "GOROD_VAR": home,
            "SECRET_KEY": secrets.token_urlsafe(40),
        }
        if database == "sqlite":
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(Path(home) / "bench.sqlite3")
            yield env
            return
        server = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
        name = f"gorod_bench_{os.getpid()}"
        admin = server._replace(path="/postgres").geturl()
        _pg(admin, f'CREATE DATABASE "{name}"')
        try:
            env["DATABASE_URL"] = server._replace(path=f"/{name}").geturl()
            yield env
        finally:
            _pg(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(sql.encode())


def _child(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and modules
        [sys.executable, *argv], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _server(
    env: dict[str, str], server: str, workers: int, threads: int
) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """The web server, a process of its own on a free port, as docs/scheduling.md tells
    operators to run it; its log goes to a file (a pipe nobody reads would fill up and
    stop it)."""
    port = _free_port()
    log_path = Path(env["GOROD_VAR"]) / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and web server
            [sys.executable, "-m", *server_command(server, port, workers, threads)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            _wait_until_up(port, process, log_path)
            yield port, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def server_command(server: str, port: int, workers: int, threads: int) -> list[str]:
    """The arguments after ``python -m`` that serve the API on ``port`` as docs/scheduling.md
    tells operators to: Granian (HTTP parsed in Rust, a Python thread pool per worker) or
    gunicorn's threaded workers."""
    if server == "granian":
        return [
            "granian",
            "--interface=wsgi",
            "--host=127.0.0.1",
            f"--port={port}",
            f"--workers={workers}",
            f"--blocking-threads={threads}",
            f"--backpressure={GRANIAN_BACKPRESSURE}",
            "--log-level=warning",
            "gorod.wsgi:application",
        ]
    return [
        "gunicorn",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--worker-class=gthread",
        "--keep-alive=30",
        "--backlog=512",
        "--log-level=warning",
        "--preload",
        "gorod.wsgi:application",
    ]


def _wait_until_up(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            stderr = log_path.read_text(errors="replace")
            raise RuntimeError(f"the web server exited: {stderr[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise RuntimeError("the web server did not start within 60 s")


def _bench_one(
    env: dict[str, str], database: str, mode: str, options: dict[str, Any]
) -> dict[str, Any]:
    _child(env, "-m", "gorod.cli", "migrate", "--no-input", "--skip-checks")
    made = json.loads(
        _child(
            env,
            "-m",
            "gorod.scheduling.benchdata",
            f"--services={options['services']}",
            f"--days={options['days']}",
            f"--citizens={options['clients'] * options['citizens']}",
            f"--seed={options['seed']}",
            f"--history={options['history']}",
        )
    )
    with _server(env, options["server"], options["workers"], options["threads"]) as (
        port,
        server,
    ):
        asyncio.run(_warm_up(port, options["clients"]))
        cpu_before, client_before = _cpu_seconds(server.pid), time.process_time()
        postgres_before = _postgres_cpu_seconds() if database == "postgresql" else None
        stats = asyncio.run(
            _contend(
                port,
                tokens=made["tokens"],
                slots=[tuple(s) for s in made["slots"]],
                institution=made["institution"],
                mode=mode,
                options=options,
            )
        )
        cpu = _cpu_seconds(server.pid) - cpu_before
        client = time.process_time() - client_before
        postgres = _postgres_cpu_seconds() if postgres_before is not None else None
    doubled, active = _verify(env, database)
    seconds = stats.seconds
    return {
        "slots": len(made["slots"]),
        "bookings": stats.booked,
        "bookings_per_second": round(stats.booked / seconds, 1) if seconds else 0.0,
        "requests_per_second": round(stats.requests / seconds, 1) if seconds else 0.0,
        # A 409: a slot lost to another client, or (earliest) a service with no free time.
        ("lost_races_409" if mode == "chosen" else "fully_booked_409"): stats.lost,
        "refused_by_limit": stats.limited,
        "other_statuses": dict(stats.other),
        "server_cpu_ms_per_request": _per(cpu, stats.requests),
        "server_cpu_ms_per_booking": _per(cpu, stats.booked),
        # How much of the machine the web server got: below 1 core, others held the rest.
        "server_cores_used": round(cpu / seconds, 2) if seconds else 0.0,
        # The rest of the machine's work: these clients, and the PostgreSQL server when it
        # runs on this machine (None otherwise; SQLite runs inside the web server).
        "client_cpu_ms_per_request": _per(client, stats.requests),
        "database_cpu_ms_per_booking": _per(postgres - postgres_before, stats.booked)
        if postgres is not None and postgres_before is not None
        else None,
        "latency_ms_p50": stats.percentile(50),
        "latency_ms_p99": stats.percentile(99),
        "seconds": round(seconds, 2),
        "double_bookings": doubled,
        "active_bookings_match_201s": active == stats.booked,
    }


def _verify(env: dict[str, str], database: str) -> tuple[int, int]:
    """Slots holding more than one active booking, and the active bookings, by SQL."""
    if database == "sqlite":
        with contextlib.closing(sqlite3.connect(env["SQLITE_PATH"])) as connection:
            doubled = connection.execute(DOUBLE_BOOKED_SQL).fetchone()[0]
            active = connection.execute(ACTIVE_SQL).fetchone()[0]
            return int(doubled), int(active)
    import psycopg

    with psycopg.connect(env["DATABASE_URL"]) as connection:
        doubled_row = connection.execute(DOUBLE_BOOKED_SQL.encode()).fetchone()
        active_row = connection.execute(ACTIVE_SQL.encode()).fetchone()
        if doubled_row is None or active_row is None:
            raise RuntimeError("a COUNT query returned no row")
        return int(doubled_row[0]), int(active_row[0])


@dataclass
class Stats:
    booked: int = 0
    lost: int = 0
    limited: int = 0
    requests: int = 0
    seconds: float = 0.0
    other: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def percentile(self, q: int) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return round(ordered[min(len(ordered) - 1, len(ordered) * q // 100)] * 1000, 1)


class Board:
    """What the clients know: the slots in order and which are taken."""

    def __init__(self, slots: list[tuple[int, int]]) -> None:
        self.slots = slots
        self.taken: set[int] = set()
        self.first = 0

    def window(self, size: int) -> list[tuple[int, int]]:
        while self.first < len(self.slots) and self.slots[self.first][0] in self.taken:
            self.first += 1
        found: list[tuple[int, int]] = []
        for slot in self.slots[self.first :]:
            if slot[0] not in self.taken:
                found.append(slot)
                if len(found) == size:
                    break
        return found


class Connection:
    """One keep-alive HTTP/1.1 connection, reopened when the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, token: str = "", body: bytes = b""
    ) -> tuple[int, bytes]:
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                return await self._exchange(method, path, token, body)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, method: str, path: str, token: str, body: bytes) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            raise ConnectionError("not connected")
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed")
        status = int(status_line.split()[1])
        length, closing = 0, False
        while (line := await self.reader.readline()) not in {b"\r\n", b""}:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                closing = True
        answer = await self.reader.readexactly(length)
        if closing:
            self.close()
        return status, answer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _warm_up(port: int, clients: int, rounds: int = 5) -> None:
    """Load every worker's code and open its database connections before the clock starts."""

    async def client() -> None:
        connection = Connection(port)
        try:
            for _ in range(rounds):
                await connection.request("GET", WARM_UP_PATH)
        finally:
            connection.close()

    await asyncio.gather(*(client() for _ in range(clients)))


def _cpu_seconds(pid: int) -> float:
    """CPU time (user and system) of a process and its children so far, from ``/proc``;
    the web server's own cost of the requests, whatever else loads the machine."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    for each in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _per(seconds: float, count: int) -> float:
    """Milliseconds each of ``count``, to a tenth."""
    return round(seconds * 1000 / count, 1) if count else 0.0


def _postgres_cpu_seconds() -> float | None:
    """CPU time of the PostgreSQL server's processes on this machine so far, with that of
    the backends that have ended (their postmaster reaped them); None when none runs here
    or its processes are not ours to read."""
    ticks, total, found = os.sysconf("SC_CLK_TCK"), 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            name, _, rest = stat.read_text().partition(") ")
            if name.endswith("(postgres"):
                fields = rest.split()
                total += sum(int(value) for value in fields[11:15])  # utime … cstime
                found = True
    return total / ticks if found else None


async def _contend(
    port: int,
    *,
    tokens: list[str],
    slots: list[tuple[int, int]],
    institution: int,
    mode: str,
    options: dict[str, Any],
) -> Stats:
    board, stats = Board(slots), Stats()
    clients, per_client = options["clients"], options["citizens"]
    deadline = time.monotonic() + options["seconds"]
    rng = random.Random(options["seed"])  # noqa: S311  (which slot to try, not a secret)

    async def client(number: int) -> None:
        mine = tokens[number * per_client : (number + 1) * per_client]
        held: Counter[tuple[int, int]] = Counter()  # (citizen index, service) -> bookings
        connection = Connection(port)
        try:
            while time.monotonic() < deadline and (window := board.window(options["window"])):
                slot_id, service_id = rng.choice(window)
                who = next(
                    (i for i in range(per_client) if held[i, service_id] < LIMIT_PER_SERVICE),
                    None,
                )
                if who is None:  # this client's citizens are all at the limit for it
                    return
                if mode == "earliest":
                    path = EARLIEST_PATH
                    asked = {"service_id": service_id, "institution_id": institution}
                else:
                    path, asked = BOOKINGS_PATH, {"slot_id": slot_id, "service_id": service_id}
                body = json.dumps({**asked, "confirm": True}).encode()
                began = time.perf_counter()
                status, answer = await connection.request("POST", path, mine[who], body)
                stats.latencies.append(time.perf_counter() - began)
                stats.requests += 1
                if status == 201:
                    stats.booked += 1
                    held[who, service_id] += 1
                    board.taken.add(json.loads(answer)["slot"]["id"])
                elif status == 409 and mode == "earliest":  # the service is fully booked
                    stats.lost += 1
                    board.taken.update(slot for slot, service in slots if service == service_id)
                elif status == 409:
                    stats.lost += 1
                    board.taken.add(slot_id)
                elif status == 400:
                    stats.limited += 1
                    held[who, service_id] = LIMIT_PER_SERVICE
                else:
                    stats.other[status] += 1
        finally:
            connection.close()

    began = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(clients)))
    stats.seconds = time.monotonic() - began
    return stats
