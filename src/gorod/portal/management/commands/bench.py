"""``gorod bench NAME [--json] [options]``: each domain's benchmark, printing figures.

A domain offers a benchmark by a module with ``add_arguments(parser)`` and
``run(**options) -> dict``, listed in ``BENCHMARKS`` by its name; figures, never assertions.
A benchmark whose module is not there (yet) is not offered.
"""

from __future__ import annotations

import importlib
import json
from argparse import ArgumentParser
from types import ModuleType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

BENCHMARKS = {
    "ledger": "gorod.ledger.bench",
    "places": "gorod.places.bench",
    "matching": "gorod.education.bench",
    "ingest": "gorod.telemetry.bench",
    "utilities": "gorod.utilities.bench",
    "booking": "gorod.scheduling.bench",
}


def _module(dotted: str) -> ModuleType | None:
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name != dotted:  # the benchmark is there but something it imports is not
            raise
        return None


class Command(BaseCommand):
    help = "Run a benchmark and print its figures (add --json for JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(
            dest="benchmark", required=True, parser_class=ArgumentParser
        )
        for name, dotted in BENCHMARKS.items():
            if (module := _module(dotted)) is None:
                continue
            sub = subparsers.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
            sub.add_argument("--json", action="store_true", help="print the figures as JSON")
            module.add_arguments(sub)

    def handle(self, *args: Any, **options: Any) -> None:
        name = options.pop("benchmark")
        as_json = options.pop("json")
        module = importlib.import_module(BENCHMARKS[name])
        try:
            figures = module.run(**options)
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if as_json:
            self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2))
        else:
            for key, value in figures.items():
                self.stdout.write(f"{key}: {value}")
