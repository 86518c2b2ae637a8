"""Transparency log: batched appends per second, proof latency in a log of a million entries.

Everything runs in a temporary database of the configured kind, never the real one: a
SQLite file in a temporary directory, or a database ``gorod_bench_<pid>`` created on the
PostgreSQL server of DATABASE_URL and dropped afterwards. The measuring happens in a
child process (``python -m gorod.ledger.bench``) pointed at that database.
"""

from __future__ import annotations

import base64
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from argparse import ArgumentParser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import django
import psycopg
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from psycopg import sql
from psycopg.conninfo import make_conninfo

DEFAULTS = {"entries": 100_000, "batch": 10_000, "proof_size": 1_000_000, "proofs": 1_000}


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--entries", type=int, default=DEFAULTS["entries"], help="entries in the timed appends"
    )
    parser.add_argument(
        "--batch", type=int, default=DEFAULTS["batch"], help="entries per append (transaction)"
    )
    parser.add_argument(
        "--proof-size",
        type=int,
        default=DEFAULTS["proof_size"],
        help="size of the log the proofs are taken in",
    )
    parser.add_argument(
        "--proofs", type=int, default=DEFAULTS["proofs"], help="proofs of each kind timed"
    )


def _checked(entries: int, batch: int, proof_size: int, proofs: int) -> None:
    if entries < 1 or batch < 1 or proofs < 1:
        raise ValueError("--entries, --batch and --proofs must be at least 1")
    if proof_size < max(entries, 2):
        raise ValueError("--proof-size must be at least --entries and at least 2")


@contextmanager
def temporary_database(prefix: str = "gorod_bench") -> Iterator[dict[str, str]]:
    """Environment variables pointing a child process at a fresh, empty database.

    PostgreSQL when the current settings use it (a new database on the same server,
    dropped afterwards), otherwise a SQLite file in a temporary directory.
    """
    database = settings.DATABASES["default"]
    if connection.vendor != "postgresql":
        with tempfile.TemporaryDirectory(prefix=f"{prefix}_") as directory:
            path = os.path.join(directory, "ledger.sqlite3")
            yield {"SQLITE_PATH": path, "DATABASE_URL": ""}
        return
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    server: dict[str, Any] = {
        "host": database.get("HOST") or "localhost",
        "port": database.get("PORT") or 5432,
        "user": database.get("USER") or "",
        "password": database.get("PASSWORD") or "",
        # The server's maintenance database: the configured one may not exist yet.
        "dbname": "postgres",
    }
    with psycopg.connect(make_conninfo(**server), autocommit=True) as server_connection:
        server_connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    credentials = quote(str(server["user"]), safe="")
    if server["password"]:
        credentials += ":" + quote(str(server["password"]), safe="")
    url = f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
    try:
        yield {"DATABASE_URL": url}
    finally:
        with psycopg.connect(make_conninfo(**server), autocommit=True) as server_connection:
            server_connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def run(
    *, entries: int, batch: int, proof_size: int, proofs: int, **_options: Any
) -> dict[str, Any]:
    _checked(entries, batch, proof_size, proofs)
    arguments = {"entries": entries, "batch": batch, "proof_size": proof_size, "proofs": proofs}
    with temporary_database() as database:
        environment = {
            **os.environ,
            **database,
            "GOROD_LEDGER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        # The child is this very interpreter running this module: no outside input.
        child = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "gorod.ledger.bench", json.dumps(arguments)],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
    if child.returncode != 0:
        raise RuntimeError(f"the benchmark process failed:\n{child.stderr[-4000:]}")
    figures: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return figures


def _latency_ms(call: Callable[[], object], count: int) -> dict[str, float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 4),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 4),
    }


def _append(total: int, batch: int, rng: random.Random) -> float:
    """Append ``total`` random leaves in batches; the seconds it took."""
    from gorod.ledger.services import log_append  # models load after setup

    start = time.perf_counter()
    done = 0
    while done < total:
        count = min(batch, total - done)
        log_append(leaves=[rng.randbytes(32) for _ in range(count)], kind="bench.leaf")
        done += count
    return time.perf_counter() - start


def _settle() -> None:
    """Give the fresh tables the statistics and visibility a live log gets from autovacuum."""
    tables = ", ".join(
        connection.ops.quote_name(name) for name in ("ledger_logentry", "ledger_lognode")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"VACUUM ANALYZE {tables}" if connection.vendor == "postgresql" else "ANALYZE"
        )


def _measure(*, entries: int, batch: int, proof_size: int, proofs: int) -> dict[str, Any]:
    from gorod.ledger import selectors, services  # models load after setup

    call_command("migrate", "ledger", verbosity=0)
    rng = random.Random(20261124)  # noqa: S311  (test data, not secrets)
    seconds = _append(entries, batch, rng)
    build = seconds + _append(proof_size - entries, batch, rng)
    _settle()
    record_count = 1_000
    start = time.perf_counter()
    for number in range(record_count):
        services.record(
            actor=None, action="bench.record", subject=None, purpose="", detail={"n": number}
        )
    record_seconds = time.perf_counter() - start
    head, _created = services.tree_head_sign()
    size = head.tree_size
    inclusion = _latency_ms(
        lambda: selectors.inclusion_proof_get(index=rng.randrange(size), tree_size=size), proofs
    )
    consistency = _latency_ms(
        lambda: selectors.consistency_proof_get(first=rng.randrange(1, size), second=size), proofs
    )
    return {
        "database": connection.vendor,
        "batch": batch,
        "appended": entries,
        "appends_per_second": round(entries / seconds),
        "log_size": size,
        "log_build_seconds": round(build, 2),
        "log_build_appends_per_second": round(proof_size / build),
        "single_record_calls_per_second": round(record_count / record_seconds),
        "inclusion_proof": inclusion,
        "consistency_proof": consistency,
        "proofs_timed": proofs,
    }


def _child() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gorod.settings")
    django.setup()
    print(json.dumps(_measure(**json.loads(sys.argv[1]))))


if __name__ == "__main__":
    _child()
