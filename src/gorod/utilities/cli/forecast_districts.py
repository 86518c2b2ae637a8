"""``gorod utilities forecast-districts [--district ID] [--days N] [--horizon N]``.

Forecasts each district's daily water use from the telemetry table and keeps it for the
operators' page (run it nightly: a fit takes seconds, too long for a page).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from gorod.places.models import District
from gorod.utilities.cli.close_month import district_or_fail
from gorod.utilities.forecasts import forecasts_make
from gorod.utilities.models import Meter

NAME = "forecast-districts"
HELP = "forecast each district's daily water use 30 days ahead for the operators' page"


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--district", type=int, help="only this district (its id)")
    parser.add_argument("--days", type=int, default=56, help="days of history (default 56)")
    parser.add_argument("--horizon", type=int, default=30, help="days ahead (default 30)")
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")


def _check(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise CommandError(
            _("--%(name)s: from %(low)d to %(high)d, not %(value)d")
            % {"name": name, "low": low, "high": high, "value": value},
            returncode=2,
        )


def run(command: BaseCommand, **options: Any) -> None:
    _check("days", options["days"], 21, 3660)
    _check("horizon", options["horizon"], 1, 366)
    district = district_or_fail(options.get("district"))
    if district is not None:
        ids = [district.pk]
    else:
        with_meters = Meter.objects.filter(is_active=True).values("apartment__building__district")
        ids = list(District.objects.filter(pk__in=with_meters).values_list("pk", flat=True))
    result = forecasts_make(district_ids=ids, days=options["days"], horizon=options["horizon"])
    if options.get("json"):
        command.stdout.write(json.dumps({"made": result.made, "skipped": result.skipped}))
        return
    command.stdout.write(_("%(made)d district forecasts made.") % {"made": result.made})
    for district_id, reason in result.skipped.items():
        command.stdout.write(f"  {district_id}: {reason}")
