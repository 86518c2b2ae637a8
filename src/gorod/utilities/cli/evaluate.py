"""``gorod utilities evaluate --truth FILE [--input hourly.csv | --simulate N]``."""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.csv as pacsv
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from gorod.telemetry.simulation import (
    Event,
    Simulator,
    events_inject,
    fleet_make,
    start_of_day,
    truth_table,
)
from gorod.utilities.anomalies import Grid, detect
from gorod.utilities.cli.detect import read_or_fail
from gorod.utilities.evaluation import (
    KINDS,
    Score,
    Span,
    evaluate,
    grid_runs,
    hourly_score,
    reason_kinds,
    truth_read,
)
from gorod.utilities.hourly import CHUNK_METERS, US_PER_HOUR, HourlyError, hourly_detect

NAME = "evaluate"
HELP = "precision, recall and F1 of the detectors per anomaly kind against a ground truth"


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--truth",
        required=True,
        type=Path,
        help="ground truth CSV device_id,kind,start,end (read; written with --simulate)",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", type=Path, help="hourly CSV of the meters the truth is about")
    source.add_argument(
        "--simulate", type=int, metavar="N", help="simulate a city of N devices instead"
    )
    parser.add_argument("--days", type=int, default=180, help="simulated days (180)")
    parser.add_argument("--leaks", type=int, default=50, help="simulated leaks (50)")
    parser.add_argument("--faults", type=int, default=100, help="simulated faults (100)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--start", type=dt.date.fromisoformat, default=dt.date(2026, 1, 1), help="first day"
    )
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")


def simulated(
    *, devices: int, days: int, leaks: int, faults: int, seed: int, start: dt.date
) -> tuple[list[Span], list[Event]]:
    """A simulated city's water meters scored in chunks straight from the simulator's
    arrays (no file in between): the alert events and the anomalies injected."""
    fleet = fleet_make(devices, seed=seed)
    first = start_of_day(start)
    events = events_inject(fleet, start=first, days=days, leaks=leaks, faults=faults, seed=seed)
    simulator = Simulator(fleet, start=first, seed=seed, events=events)
    litres, totals = simulator.water_hours(days)
    water = fleet.of_kind(*simulator.water_kinds)
    meters = [fleet.device_ids[i] for i in water]
    apartments = fleet.apartment[water]
    grid = Grid(first_hour=int(first.timestamp()) // 3600)
    alerts: list[Span] = []
    for low in range(0, len(meters), CHUNK_METERS):
        high = low + CHUNK_METERS
        reasons = detect(
            litres[low:high].astype(np.float32),
            grid,
            totals=totals[low:high],
            apartments=apartments[low:high],
        )
        alerts += grid_runs(meters[low:high], grid.first_hour, reason_kinds(reasons), KINDS)
    return alerts, events


def spans(events: list[Event]) -> list[Span]:
    hour = US_PER_HOUR // 1_000_000
    return [
        Span(
            e.device_id,
            str(e.kind),
            int(e.start.timestamp()) // hour,
            -(-int(e.end.timestamp()) // hour) - 1,
        )
        for e in events
    ]


def run(command: BaseCommand, **options: Any) -> None:
    truth_path: Path = options["truth"]
    if options["simulate"] is not None:
        if options["simulate"] < 1 or options["days"] < 10:
            raise CommandError(
                gettext("--simulate needs at least 1 device and --days at least 10"), returncode=2
            )
        if not truth_path.resolve().parent.is_dir():
            raise CommandError(
                gettext("%(path)s: no such directory") % {"path": truth_path.parent}, returncode=2
            )
        try:
            alerts, events = simulated(
                devices=options["simulate"],
                days=options["days"],
                leaks=options["leaks"],
                faults=options["faults"],
                seed=options["seed"],
                start=options["start"],
            )
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        pacsv.write_csv(truth_table(events), truth_path)
        scores = evaluate(spans(events), alerts)
    else:
        try:
            truth = truth_read(truth_path)
        except (HourlyError, OSError) as exc:
            raise CommandError(f"{truth_path}: {exc}", returncode=2) from exc
        hourly = read_or_fail(options["input"])
        scores = hourly_score(hourly, hourly_detect(hourly), truth)
    report(command, scores, as_json=options["json"])


def report(command: BaseCommand, scores: dict[str, Score], *, as_json: bool) -> None:
    figures = {kind: score.as_dict() for kind, score in scores.items()}
    if as_json:
        command.stdout.write(json.dumps(figures, indent=2))
        return
    heading = ("kind", "truth", "found", "alerts", "precision", "recall", "F1", "delay h")
    command.stdout.write(" ".join(f"{h:>9}" for h in heading))
    for kind, row in figures.items():
        cells = (kind, *(_cell(row[k]) for k in REPORTED))
        command.stdout.write(" ".join(f"{c:>9}" for c in cells))


REPORTED = (
    "truth_events",
    "found",
    "alert_events",
    "precision",
    "recall",
    "f1",
    "median_delay_hours",
)


def _cell(value: float | int | None) -> str:
    return "-" if value is None else str(value)
