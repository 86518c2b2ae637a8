"""Seeding time for N citizens and point-in-district lookups per second.

The figures are measured in a child process on a database of its own: a temporary SQLite
file, or with ``--postgres`` a temporary database on the configured PostgreSQL server,
dropped afterwards. The configured database itself is never touched.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import psycopg
from psycopg import sql

MOSCOW_BOX = (36.80, 55.14, 37.97, 56.03)


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--citizens", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="measure on a temporary database of the PostgreSQL server in DATABASE_URL",
    )


def run(**options: Any) -> dict[str, Any]:
    if options["citizens"] < 1 or options["lookups"] < 1:
        raise ValueError("--citizens and --lookups must be at least 1")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    # The child runs this very source tree, in the test profile (a generated secret key).
    source = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    env["GOROD_PROFILE"] = "test"
    argv = [
        sys.executable,
        "-m",
        "gorod.places.bench",
        str(options["citizens"]),
        str(options["seed"]),
        str(options["lookups"]),
    ]
    with tempfile.TemporaryDirectory(prefix="gorod-bench-") as tmp:
        env["GOROD_VAR"] = tmp
        if options["postgres"]:
            with _postgres_database() as url:
                figures = _child(argv, env | {"DATABASE_URL": url})
        else:
            env["SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
            figures = _child(argv, env)
    return figures


def _child(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise ValueError(f"the benchmark failed:\n{done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


@contextmanager
def _postgres_database() -> Iterator[str]:
    """The URL of a fresh database on the configured PostgreSQL server, dropped on exit."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        raise ValueError("--postgres needs DATABASE_URL=postgres://... in the environment")
    config = dj_database_url.parse(url)
    database = f"gorod_bench_{uuid.uuid4().hex[:12]}"
    name = sql.Identifier(database)
    with psycopg.connect(
        host=config["HOST"],
        port=config["PORT"] or 5432,
        user=config["USER"],
        password=config["PASSWORD"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
        try:
            yield urlsplit(url)._replace(path=f"/{database}").geturl()
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(name))


def _measure(citizens: int, seed: int, lookups: int) -> dict[str, Any]:
    """In the child: migrate, seed, then look points up. Django is set up here."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gorod.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from gorod.places.geo import Locator, polygon_from_geojson
    from gorod.places.models import District
    from gorod.places.selectors import district_at
    from gorod.places.services import city_seed

    call_command("migrate", interactive=False, verbosity=0)
    summary = city_seed(citizens=citizens, seed=seed)
    rng = random.Random(seed)  # noqa: S311  (sample points, not a secret)
    points = [
        (rng.uniform(MOSCOW_BOX[0], MOSCOW_BOX[2]), rng.uniform(MOSCOW_BOX[1], MOSCOW_BOX[3]))
        for _ in range(lookups)
    ]
    started = time.perf_counter()
    found = sum(district_at(lon=lon, lat=lat) is not None for lon, lat in points)
    db_rate = lookups / (time.perf_counter() - started)
    locator = Locator(
        (d.pk, polygon_from_geojson(d.boundary)) for d in District.objects.exclude(boundary=None)
    )
    started = time.perf_counter()
    for lon, lat in points:
        locator.locate(lon, lat)
    memory_rate = lookups / (time.perf_counter() - started)
    return {
        "database": connection.vendor,
        "citizens": summary.citizens,
        "buildings": summary.buildings,
        "apartments": summary.apartments,
        "institutions": summary.institutions,
        "seed_seconds": summary.seconds,
        "lookups": lookups,
        "lookups_inside_a_district": found,
        "lookups_per_second_database": round(db_rate),
        "lookups_per_second_in_memory": round(memory_rate),
    }


if __name__ == "__main__":
    citizens_arg, seed_arg, lookups_arg = (int(a) for a in sys.argv[1:4])
    print(json.dumps(_measure(citizens_arg, seed_arg, lookups_arg)))
