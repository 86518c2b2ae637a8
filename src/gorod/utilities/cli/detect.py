"""``gorod utilities detect --input hourly.csv --output alerts.csv``."""

from __future__ import annotations

from argparse import ArgumentParser
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from gorod.utilities.anomalies import LABEL, Reason
from gorod.utilities.hourly import Hourly, HourlyError, alerts_write, hourly_detect, hourly_read

NAME = "detect"
HELP = "flag each hour of each meter (leaks, bursts, stuck or tampered meters), past only"


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--input",
        required=True,
        type=Path,
        help="hourly CSV: meter_id,time,consume_litres[,total_litres]",
    )
    parser.add_argument(
        "--output", required=True, type=Path, help="CSV written: meter_id,time,alert,reason"
    )


def read_or_fail(path: Path) -> Hourly:
    """The checked file, or the error line naming the place at fault and exit code 2."""
    if not path.is_file():
        raise CommandError(gettext("%(path)s: no such file") % {"path": path}, returncode=2)
    try:
        return hourly_read(path)
    except HourlyError as exc:
        raise CommandError(f"{path}: {exc}", returncode=2) from exc


def run(command: BaseCommand, **options: Any) -> None:
    target: Path = options["output"]
    if not target.resolve().parent.is_dir():
        raise CommandError(
            gettext("%(path)s: no such directory") % {"path": target.parent}, returncode=2
        )
    hourly = read_or_fail(options["input"])
    reasons = hourly_detect(hourly)
    alerts_write(target, hourly, reasons)
    counts = Counter(LABEL[Reason(int(code))] for code in reasons[reasons > 0])
    command.stdout.write(
        gettext("%(rows)d hours of %(meters)d meters, %(alerts)d alert hours")
        % {"rows": len(hourly), "meters": len(hourly.meters), "alerts": int((reasons > 0).sum())}
        + "".join(f"; {label} {count}" for label, count in sorted(counts.items()))
    )
