"""Anomaly scoring: seconds per year of hourly data per meter, streamed in chunks of meters.

One year of hourly water use is simulated once for one chunk of meters (generation is not
timed: it is the simulator's cost, not the detectors'); every chunk of the fleet is then
scored from that data, all detectors, as ``gorod utilities detect`` does. Memory is bounded
by the chunk: the peak the scoring of one chunk holds is reported beside the process's peak
RSS (which includes the simulation). The projection to a million meter-years is the measured
CPU cost per meter-year (process time, so other load on a shared machine does not count)
times a million, and that divided by ``--workers`` for a node's wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import resource
import time
import tracemalloc
from typing import Any

import numpy as np

from gorod.telemetry.simulation import Simulator, events_inject, fleet_make, start_of_day
from gorod.utilities.anomalies import Grid, detect
from gorod.utilities.hourly import CHUNK_METERS

DAYS = 365
START = dt.date(2026, 1, 1)
DEVICES_PER_WATER_METER = 2.4  # a fleet's water meters are about 5 in 12 of its devices

_DATA: dict[str, Any] = {}  # the simulated chunk, inherited by forked workers (read only)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[10_000, 100_000],
        help="meters scored, comma-separated (default 10000,100000)",
    )
    parser.add_argument("--chunk", type=int, default=CHUNK_METERS, help="meters per chunk (500)")
    parser.add_argument("--days", type=int, default=DAYS, help="days of hourly data (365)")
    parser.add_argument("--workers", type=int, default=1, help="processes scoring chunks (1)")
    parser.add_argument("--seed", type=int, default=2026)


def _simulate(meters: int, days: int, seed: int) -> tuple[np.ndarray, np.ndarray, Grid]:
    fleet = fleet_make(int(meters * DEVICES_PER_WATER_METER) + 3, seed=seed)
    start = start_of_day(START)
    share = max(meters // 100, 1)  # 1% leaking, 1% faulty
    events = events_inject(fleet, start=start, days=days, leaks=share, faults=share, seed=seed)
    litres, totals = Simulator(fleet, start=start, seed=seed, events=events).water_hours(days)
    grid = Grid(first_hour=int(start.timestamp()) // 3600)
    return litres[:meters].astype(np.float32), totals[:meters], grid


def _score(chunk: int) -> tuple[float, int]:
    litres, totals, grid = _DATA["litres"], _DATA["totals"], _DATA["grid"]
    began = time.process_time()  # CPU seconds: other work on a shared machine does not count
    reasons = detect(litres, grid, totals=totals)
    return time.process_time() - began, int(np.count_nonzero(reasons))


def _scoring_peak_mb() -> float:
    """The most memory one chunk's scoring holds at once (NumPy reports to tracemalloc)."""
    tracemalloc.start()
    try:
        _score(0)
        return round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
    finally:
        tracemalloc.stop()


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def run(**options: Any) -> dict[str, Any]:
    sizes, chunk, days, workers = (
        options["sizes"],
        options["chunk"],
        options["days"],
        options["workers"],
    )
    if chunk < 1 or workers < 1 or days < 10 or any(size < 1 for size in sizes):
        raise ValueError("--chunk, --workers and --sizes must be at least 1, --days at least 10")
    began = time.perf_counter()
    litres, totals, grid = _simulate(min(chunk, max(sizes)), days, options["seed"])
    _DATA.update(litres=litres, totals=totals, grid=grid)
    figures: dict[str, Any] = {
        "days": days,
        "chunk_meters": len(litres),
        "workers": workers,
        "simulation_s": round(time.perf_counter() - began, 2),
        "input_mb_per_chunk": round((litres.nbytes + totals.nbytes) / 2**20, 1),
        "scoring_peak_mb_per_chunk": _scoring_peak_mb(),
        "sizes": {},
    }
    context = multiprocessing.get_context("fork")
    for size in sizes:
        chunks = -(-size // len(litres))
        began = time.perf_counter()
        if workers == 1:
            results = [_score(index) for index in range(chunks)]
        else:
            with context.Pool(workers) as pool:
                results = pool.map(_score, range(chunks))
        wall = time.perf_counter() - began
        meters = chunks * len(litres)
        cpu = sum(seconds for seconds, _ in results)
        per_meter = cpu / meters * (DAYS / days)
        figures["sizes"][str(size)] = {
            "meters": meters,
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "us_per_meter_year": round(per_meter * 1e6, 1),
            "projected_cpu_s_per_million_meter_years": round(per_meter * 1e6, 1),
            "projected_wall_s_per_million_on_workers": round(per_meter * 1e6 / workers, 1),
            "alert_hours_per_chunk": results[0][1],
            "peak_rss_mb": _peak_rss_mb(),
        }
    return figures
