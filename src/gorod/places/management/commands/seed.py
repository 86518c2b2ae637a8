"""``gorod seed --citizens N --seed S``: the demo city, the same for the same seed.

Buildings, apartments, residents (families, singles, pensioners) and institutions in every
district: the real Moscow districts when the shared data is there, else a generated city.
A city that already has buildings is left as it is. Demo accounts are added in the demo
and test profiles, or with ``--demo-accounts``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError
from gorod.people.demo import accounts_table, demo_accounts_create
from gorod.places.services import city_seed

DEFAULT_CITIZENS = 2000
DEFAULT_SEED = 2026


class Command(BaseCommand):
    help = "Seed the demo city (deterministic: the same seed builds the same city)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--citizens", type=int, default=DEFAULT_CITIZENS)
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        where = parser.add_mutually_exclusive_group()
        where.add_argument(
            "--boundaries",
            type=Path,
            default=None,
            help="districts GeoJSON to import first (okrugs.geojson beside it)",
        )
        where.add_argument(
            "--no-boundaries",
            action="store_true",
            help="read no boundary files: a database without districts gets a generated city",
        )
        parser.add_argument(
            "--demo-accounts",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="add the demo accounts (default: in the demo and test profiles only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()

        def say(message: str) -> None:
            self.stdout.write(f"[{time.perf_counter() - started:6.1f} s] {message}")

        demo_accounts = options["demo_accounts"]
        if demo_accounts is None:
            demo_accounts = settings.PROFILE in {"demo", "test"}
        try:
            summary = city_seed(
                citizens=options["citizens"],
                seed=options["seed"],
                boundaries_path=options["boundaries"],
                read_files=not options["no_boundaries"],
                progress=say,
            )
            accounts = demo_accounts_create() if demo_accounts else []
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        if summary.seeded:
            say(
                _(
                    "Seeded in %(seconds)s s: %(districts)s districts, %(buildings)s buildings, "
                    "%(apartments)s apartments, %(citizens)s citizens, %(institutions)s "
                    "institutions."
                )
                % vars(summary)
            )
        if accounts:
            self.stdout.write(accounts_table(accounts))
