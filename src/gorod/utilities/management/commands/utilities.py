"""``gorod utilities <subcommand>``: the utilities domain's command line.

Each subcommand lives in its own module under ``gorod.utilities.cli`` and is found there by
itself, so adding one is adding a file (nothing to register here). A module offers:

- ``NAME``: the subcommand (``"detect"``), and ``HELP``: one line for ``--help``;
- ``add_arguments(parser: argparse.ArgumentParser) -> None``;
- ``run(command: BaseCommand, **options) -> None``: writes to ``command.stdout``; raises
  ``CommandError(message, returncode=2)`` on bad input, before changing anything.

A module without ``NAME`` (a helper shared by subcommands) is skipped.
"""

from __future__ import annotations

import importlib
import pkgutil
from argparse import ArgumentParser
from types import ModuleType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gorod.utilities import cli


def subcommands() -> dict[str, ModuleType]:
    found = {}
    for info in pkgutil.iter_modules(cli.__path__):
        module = importlib.import_module(f"{cli.__name__}.{info.name}")
        if name := getattr(module, "NAME", None):
            found[name] = module
    return dict(sorted(found.items()))


class Command(BaseCommand):
    help = "Utilities: anomaly detection, evaluation, forecasts and the monthly cycle."
    requires_system_checks: list[str] = []  # most subcommands are computations on files

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=ArgumentParser)
        for name, module in subcommands().items():
            module.add_arguments(actions.add_parser(name, help=module.HELP))

    def handle(self, *args: Any, **options: Any) -> None:
        module = subcommands()[options.pop("action")]
        module.run(self, **options)
