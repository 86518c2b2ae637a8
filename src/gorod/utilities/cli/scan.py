"""``gorod utilities scan [--days N] [--district ID]``: alerts from the telemetry table.

Runs the anomaly detectors over the water meters' hourly data of the last days and stores
each finding as an alert for the operators (once per meter, kind and day).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gorod.utilities.cli.close_month import district_or_fail
from gorod.utilities.scan import scan

NAME = "scan"
HELP = "run the anomaly detectors over the telemetry table and store alerts"
MAX_DAYS = 366


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--days", type=int, default=14, help="how many days back (default 14)")
    parser.add_argument("--district", type=int, help="only this district (its id)")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")


def run(command: BaseCommand, **options: Any) -> None:
    days = options["days"]
    if not 2 <= days <= MAX_DAYS:
        raise CommandError(
            _("--days: from 2 to %(max)d, not %(days)d") % {"max": MAX_DAYS, "days": days},
            returncode=2,
        )
    district = district_or_fail(options.get("district"))
    result = scan(days=days, district_id=district.pk if district else None)
    if options.get("json"):
        command.stdout.write(json.dumps(result.as_dict()))
        return
    command.stdout.write(
        _(
            "%(meters)d water meters over %(hours)d hours: %(events)d findings, "
            "%(created)d new alerts."
        )
        % result.as_dict()
    )
