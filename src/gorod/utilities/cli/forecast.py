"""``gorod utilities forecast``: daily consumption 30 days ahead, and its backtest.

    gorod utilities forecast --backtest                      # on a simulated city
    gorod utilities forecast --backtest --input daily.csv    # on your series
    gorod utilities forecast --input daily.csv --output forecast.csv
    gorod utilities forecast --from-table --level district --output forecast.csv

A daily file has columns ``unique_id,ds,y`` (series, day, consumption). ``--from-table``
reads the water meters' daily consumption (m³) per building or district from the telemetry
table.
"""

from __future__ import annotations

import datetime as dt
import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import pandas as pd
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext

from gorod.telemetry.simulation import Simulator, fleet_make, start_of_day
from gorod.utilities.forecasting import (
    Backtest,
    SeriesError,
    backtest,
    daily_frame,
    forecast_daily,
)

NAME = "forecast"
HELP = "forecast daily consumption per building and district (damped ETS), or backtest it"
BUILDINGS_PER_DISTRICT = 5
WATER = ("water_cold_m3", "water_hot_m3")


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--backtest", action="store_true", help="MASE against seasonal naive")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--input", type=Path, help="daily CSV: unique_id,ds,y")
    source.add_argument("--from-table", action="store_true", help="the telemetry table")
    parser.add_argument("--output", type=Path, help="forecast CSV: unique_id,ds,yhat,lo,hi")
    parser.add_argument("--horizon", type=int, default=30, help="days ahead (30)")
    parser.add_argument("--windows", type=int, default=3, help="backtest windows (3)")
    parser.add_argument(
        "--level", choices=["building", "district"], default="building", help="--from-table"
    )
    parser.add_argument("--history", type=int, default=180, help="--from-table: days (180)")
    parser.add_argument("--devices", type=int, default=6000, help="simulated devices (6000)")
    parser.add_argument("--days", type=int, default=240, help="simulated days (240)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--json", action="store_true", help="print the backtest as JSON")


def simulated_series(*, devices: int, days: int, seed: int) -> dict[str, pd.DataFrame]:
    """Daily water use (m³) of a simulated city per building and per district (five
    buildings each)."""
    fleet = fleet_make(devices, seed=seed)
    first = dt.date(2026, 1, 1)
    simulator = Simulator(fleet, start=start_of_day(first), seed=seed)
    litres, _totals = simulator.water_hours(days)
    water = fleet.of_kind(*simulator.water_kinds)
    buildings = fleet.building[water]
    day = pd.Timestamp(first)
    return {
        "building": daily_frame(litres, buildings, day, "building-"),
        "district": daily_frame(litres, buildings // BUILDINGS_PER_DISTRICT, day, "district-"),
    }


def table_series(*, level: str, history: int) -> pd.DataFrame:
    from gorod.telemetry import queries

    end = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - dt.timedelta(days=history)
    parts = [
        queries.consumption(metric=m, start=start, end=end, bucket="day", level=level).to_pandas()  # type: ignore[arg-type]
        for m in WATER
    ]
    frame = pd.concat(parts)
    key = f"{level}_id"
    if frame.empty:
        raise SeriesError("the telemetry table has no water consumption in that period")
    frame = frame.groupby([key, "bucket"], as_index=False)["consumed"].sum()
    return pd.DataFrame(
        {
            "unique_id": f"{level}-" + frame[key].astype(str),
            "ds": pd.to_datetime(frame["bucket"]).dt.tz_localize(None),
            "y": frame["consumed"],
        }
    )


def _read(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise CommandError(gettext("%(path)s: no such file") % {"path": path}, returncode=2)
    try:
        return pd.read_csv(path, dtype={"unique_id": str})
    except (ValueError, pd.errors.ParserError) as exc:
        raise CommandError(f"{path}: {exc}", returncode=2) from exc


def run(command: BaseCommand, **options: Any) -> None:
    if options["horizon"] < 1 or options["windows"] < 1:
        raise CommandError("--horizon and --windows must be at least 1", returncode=2)
    output: Path | None = options["output"]
    if not options["backtest"] and output is None:
        raise CommandError("a forecast needs --output (or ask for --backtest)", returncode=2)
    if output is not None and not output.resolve().parent.is_dir():
        raise CommandError(
            gettext("%(path)s: no such directory") % {"path": output.parent}, returncode=2
        )
    try:
        if options["input"] is not None:
            series = {"input": _read(options["input"])}
        elif options["from_table"]:
            level = options["level"]
            series = {level: table_series(level=level, history=options["history"])}
        else:
            if options["devices"] < 1 or options["days"] < 1:
                raise CommandError("--devices and --days must be at least 1", returncode=2)
            series = simulated_series(
                devices=options["devices"], days=options["days"], seed=options["seed"]
            )
        if options["backtest"]:
            results = {
                name: backtest(frame, horizon=options["horizon"], windows=options["windows"])
                for name, frame in series.items()
            }
            report(command, results, as_json=options["json"])
        if output is not None:
            predicted = pd.concat(
                [forecast_daily(frame, horizon=options["horizon"]) for frame in series.values()]
            )
            predicted.to_csv(output, index=False, date_format="%Y-%m-%d")
            command.stdout.write(
                f"{predicted['unique_id'].nunique()} series, {options['horizon']} days ahead: "
                f"{output}"
            )
    except SeriesError as exc:
        raise CommandError(str(exc), returncode=2) from exc


def report(command: BaseCommand, results: dict[str, Backtest], *, as_json: bool) -> None:
    if as_json:
        command.stdout.write(json.dumps({k: v.as_dict() for k, v in results.items()}, indent=2))
        return
    for name, result in results.items():
        command.stdout.write(
            f"{name}: {result.series} series, {result.windows} windows of {result.horizon} days; "
            f"MASE ETS {result.mase_model:.3f}, seasonal naive {result.mase_naive:.3f}: "
            f"{result.improvement:.0%} better"
        )
