"""``gorod utilities close-month [--month YYYY-MM] [--district ID]``: a month's readings in.

Smart meters' latest register values go through the same VEE rules as residents' readings,
every meter still without a reading is estimated, and each apartment gets its bill with
actual, estimated and recalculated lines. Idempotent: a second run fills only what is missing.
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError
from gorod.places.models import Apartment, District
from gorod.utilities import selectors
from gorod.utilities.services import period_close

NAME = "close-month"
HELP = "close a month: smart readings through VEE, estimates for the missing, bills"


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--month", help="YYYY-MM (default: the month before this one)")
    parser.add_argument("--district", type=int, help="only this district (its id)")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")


def month_or_fail(text: str | None) -> dt.date:
    if text is None:
        return selectors.period_of(selectors.period_of(selectors.today()) - dt.timedelta(days=1))
    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise CommandError(
            _("--month: %(value)s is not a month written YYYY-MM") % {"value": text}, returncode=2
        ) from None


def district_or_fail(district_id: int | None) -> District | None:
    if district_id is None:
        return None
    district = District.objects.filter(pk=district_id).first()
    if district is None:
        raise CommandError(_("--district: no district %(id)s") % {"id": district_id}, returncode=2)
    return district


def run(command: BaseCommand, **options: Any) -> None:
    period = month_or_fail(options.get("month"))
    district = district_or_fail(options.get("district"))
    homes = Apartment.objects.filter(building__district=district) if district else None
    try:
        result = period_close(period=period, apartments=homes)
    except ApplicationError as exc:
        raise CommandError(f"--month: {exc.message}", returncode=2) from exc
    if options.get("json"):
        command.stdout.write(json.dumps(result.as_dict()))
        return
    command.stdout.write(
        _(
            "%(period)s: %(apartments)d apartments, %(smart_accepted)d smart readings accepted "
            "and %(smart_rejected)d refused, %(estimated)d estimated, %(recalculated)d "
            "recalculated, %(bills)d bills issued."
        )
        % result.as_dict()
    )
