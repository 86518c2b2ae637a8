"""``gorod privacy release|budgets``: publish differentially private tables, show budgets.

``release --dataset NAME --epsilon E [--delta D] [--output FILE] [--dry-run]`` prints the
accuracy each column would have, refuses (exit 2) when the dataset's budget cannot pay
for it, and otherwise spends the budget and publishes the table as open data.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError
from gorod.privacy import selectors, services
from gorod.privacy.datasets import DATASETS, MECHANISMS
from gorod.privacy.downloads import release_json, write_release_csv
from gorod.privacy.models import Release, amount_text


def _amount(raw: str, name: str) -> Decimal:
    try:
        return Decimal(raw)
    except InvalidOperation as exc:
        raise CommandError(
            _("--%(name)s must be a number, not %(raw)r.") % {"name": name, "raw": raw},
            returncode=2,
        ) from exc


class Command(BaseCommand):
    help = "Publish district statistics with differential privacy, or show privacy budgets."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=ArgumentParser)
        release = actions.add_parser("release", help="release one dataset with noise")
        release.add_argument("--dataset", required=True, help=", ".join(DATASETS))
        release.add_argument("--epsilon", required=True, help="privacy loss to spend, e.g. 0.5")
        release.add_argument("--delta", default="0", help="with delta > 0: Gaussian noise")
        release.add_argument("--output", type=Path, help="also write the table (.json or .csv)")
        release.add_argument(
            "--dry-run", action="store_true", help="print the accuracy, release nothing"
        )
        actions.add_parser("budgets", help="each dataset's privacy budget, spent and total")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "budgets":
            self._budgets()
            return
        try:
            self._release(
                dataset=options["dataset"],
                epsilon=_amount(options["epsilon"], "epsilon"),
                delta=_amount(options["delta"], "delta"),
                output=options["output"],
                dry_run=options["dry_run"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc

    def _budgets(self) -> None:
        for dataset in DATASETS.values():
            budget = selectors.budget_of(dataset=dataset)
            self.stdout.write(
                _(
                    "%(dataset)s: epsilon %(spent)s of %(total)s spent, "
                    "delta %(spent_delta)s of %(total_delta)s"
                )
                % {
                    "dataset": dataset.name,
                    "spent": amount_text(budget.spent_epsilon),
                    "total": amount_text(budget.total_epsilon),
                    "spent_delta": amount_text(budget.spent_delta),
                    "total_delta": amount_text(budget.total_delta),
                }
            )

    def _release(
        self, *, dataset: str, epsilon: Decimal, delta: Decimal, output: Path | None, dry_run: bool
    ) -> None:
        plan = selectors.release_plan(dataset=dataset, epsilon=epsilon, delta=delta)
        self.stdout.write(
            _(
                "%(dataset)s: %(cells)s cells, epsilon %(epsilon)s, delta %(delta)s; "
                "left in the budget: epsilon %(left)s, delta %(left_delta)s"
            )
            % {
                "dataset": plan.dataset.name,
                "cells": plan.cells,
                "epsilon": amount_text(epsilon),
                "delta": amount_text(delta),
                "left": amount_text(plan.remaining_epsilon),
                "left_delta": amount_text(plan.remaining_delta),
            }
        )
        for column, noise in plan.noise.items():
            self.stdout.write(
                _(
                    "  %(column)s: %(mechanism)s noise of scale %(scale).4g, "
                    "±%(accuracy).4g at %(confidence).0f%% confidence per cell"
                )
                % {
                    "column": column,
                    "mechanism": MECHANISMS.get(noise.mechanism, noise.mechanism),
                    "scale": noise.scale,
                    "accuracy": noise.plus_minus,
                    "confidence": noise.confidence * 100,
                }
            )
        if not plan.fits:
            raise CommandError(
                _(
                    "Refused: the budget of %(dataset)s has epsilon %(left)s and delta "
                    "%(left_delta)s left; nothing was released."
                )
                % {
                    "dataset": plan.dataset.name,
                    "left": amount_text(plan.remaining_epsilon),
                    "left_delta": amount_text(plan.remaining_delta),
                },
                returncode=2,
            )
        if dry_run:
            self.stdout.write(_("Dry run: nothing released, no budget spent."))
            return
        if output is not None and not os.access(output.parent.resolve(), os.W_OK):
            raise CommandError(
                _("Cannot write to the folder of %(path)s.") % {"path": output}, returncode=2
            )
        release = services.release_publish(dataset=dataset, epsilon=epsilon, delta=delta)
        if output is not None:
            self._write(release, output)
        left = selectors.budget_of(dataset=plan.dataset)
        self.stdout.write(
            self.style.SUCCESS(
                _("Released #%(id)s; epsilon left in the budget: %(left)s.")
                % {"id": release.pk, "left": amount_text(left.remaining_epsilon)}
            )
        )

    def _write(self, release: Release, output: Path) -> None:
        try:
            with output.open("w", encoding="utf-8", newline="") as handle:
                if output.suffix.lower() == ".csv":
                    write_release_csv(release, handle)
                else:
                    handle.write(release_json(release))
        except OSError as exc:
            raise CommandError(
                _("Release #%(id)s is published, but %(path)s could not be written: %(error)s")
                % {"id": release.pk, "path": output, "error": exc},
                returncode=2,
            ) from exc
        self.stdout.write(_("Written to %(path)s.") % {"path": output})
