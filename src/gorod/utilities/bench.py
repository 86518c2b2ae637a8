"""Anomaly scoring: seconds per year of hourly data per meter, streamed in chunks of meters.

One year of hourly water use is simulated once for one chunk of meters (generation is not
timed: it is the simulator's cost, not the detectors'); every chunk of the fleet is then
scored from that data, all detectors with the meters' apartments, as ``gorod utilities
detect`` does, by ``--workers`` processes (default: one per core) sharing the chunks. The
detectors are compiled before the clock starts (Numba caches the compiled code on disk, so
only a machine's first run pays it: ``compile_s``).

Reported per size: CPU seconds (process time of the scoring: other load on a shared machine
does not count), wall seconds and the cores they kept busy, the load average before and
after (the machine's other work), the peak RSS of the processes. Memory is bounded by the
chunk: the most one chunk's scoring holds is reported beside the peak RSS (which includes
the simulation and the imports). The projection to a million meter-years is the measured
CPU per meter-year times a million, divided by the workers for a node's wall time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
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
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes scoring chunks (default: one per core)",
    )
    parser.add_argument("--seed", type=int, default=2026)


def _simulate(meters: int, days: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, Grid]:
    fleet = fleet_make(int(meters * DEVICES_PER_WATER_METER) + 3, seed=seed)
    start = start_of_day(START)
    share = max(meters // 100, 1)  # 1% leaking, 1% faulty
    events = events_inject(fleet, start=start, days=days, leaks=share, faults=share, seed=seed)
    simulator = Simulator(fleet, start=start, seed=seed, events=events)
    litres, totals = simulator.water_hours(days)
    apartments = fleet.apartment[fleet.of_kind(*simulator.water_kinds)].astype(np.int64)
    grid = Grid(first_hour=int(start.timestamp()) // 3600)
    return litres[:meters].astype(np.float32), totals[:meters], apartments[:meters], grid


def _score(chunk: int) -> tuple[float, int]:
    began = time.process_time()  # CPU seconds: other work on a shared machine does not count
    reasons = detect(
        _DATA["litres"], _DATA["grid"], totals=_DATA["totals"], apartments=_DATA["apartments"]
    )
    return time.process_time() - began, int(np.count_nonzero(reasons))


def _scoring_peak_mb() -> float:
    """The most memory one chunk's scoring holds at once (NumPy reports to tracemalloc; the
    compiled pass's own scratch is a few arrays of one meter)."""
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


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _size(size: int, workers: int, days: int) -> dict[str, Any]:
    chunks = -(-size // len(_DATA["litres"]))
    load_before = _load()
    began = time.perf_counter()
    if workers == 1:
        results = [_score(index) for index in range(chunks)]
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            results = pool.map(_score, range(chunks), chunksize=1)
    wall = time.perf_counter() - began
    meters = chunks * len(_DATA["litres"])
    cpu = sum(seconds for seconds, _ in results)
    per_meter = cpu / meters * (DAYS / days)
    return {
        "meters": meters,
        "chunks": chunks,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cores_busy": round(cpu / wall, 2),
        "load_average_before": load_before,
        "load_average_after": _load(),
        "us_per_meter_year": round(per_meter * 1e6, 1),
        "projected_cpu_s_per_million_meter_years": round(per_meter * 1e6, 1),
        "projected_wall_s_per_million_on_workers": round(per_meter * 1e6 / workers, 1),
        "measured_wall_s_per_million": round(wall / meters * (DAYS / days) * 1e6, 1),
        "alert_hours_per_chunk": results[0][1],
        "peak_rss_mb": _peak_rss_mb(),
    }


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
    litres, totals, apartments, grid = _simulate(min(chunk, max(sizes)), days, options["seed"])
    _DATA.update(litres=litres, totals=totals, apartments=apartments, grid=grid)
    simulation = time.perf_counter() - began
    began = time.perf_counter()
    detect(litres[:1, :48], grid, totals=totals[:1, :48])  # compiled (or loaded) before forking
    compile_s = time.perf_counter() - began
    return {
        "days": days,
        "chunk_meters": len(litres),
        "workers": workers,
        "cores": os.cpu_count(),
        "simulation_s": round(simulation, 2),
        "compile_s": round(compile_s, 2),
        "input_mb_per_chunk": round((litres.nbytes + totals.nbytes) / 2**20, 1),
        "scoring_peak_mb_per_chunk": _scoring_peak_mb(),
        "sizes": {str(size): _size(size, workers, days) for size in sizes},
    }
