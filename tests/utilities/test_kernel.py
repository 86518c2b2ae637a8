"""The compiled one-pass detectors give exactly the specification's answers.

``anomalies.detect`` (``kernel.py``, one compiled pass per meter) against
``anomalies.detect_reference`` (the detectors one whole-array NumPy step after another) on a
simulated fleet with every kind of anomaly, plus hand-made meters for what a simulated
month may lack (a burst, night flow alone, a register going back, a long gap), in both
precisions, with and without registers and apartments, starting at any hour of the day.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pytest

from gorod.telemetry.simulation import Simulator, events_inject, fleet_make, start_of_day
from gorod.utilities.anomalies import Grid, Reason, detect, detect_reference

DAYS = 40
START = start_of_day(dt.date(2026, 2, 1))
GRID = Grid(first_hour=int(START.timestamp()) // 3600)  # column 0: local midnight


def _household(rng: np.random.Generator, days: int) -> np.ndarray:
    hours = np.tile(np.arange(24), days)
    active = (hours >= 7) & (hours < 23)
    return np.where(active & (rng.random(hours.size) < 0.6), rng.integers(3, 40, hours.size), 0)


def _made(days: int) -> tuple[np.ndarray, np.ndarray]:
    """Meters with one clear anomaly each (litres, registers)."""
    rng = np.random.default_rng(7)
    rows = np.vstack([_household(rng, days) for _ in range(8)]).astype(np.float64)
    rows[0, 20 * 24 + 14] = 900.0  # a burst
    night = np.zeros((days, 24))
    night[15:, 2:5] = 3.0
    rows[1] += night.ravel()  # flow every night, dry days between: night flow alone
    rows[2, 18 * 24 :] += 6.0  # a leak
    rows[3, 22 * 24 :] = 0.0  # stuck
    rows[4, 25 * 24 : 25 * 24 + 20] = 9.0  # repeats
    rows[5, 16 * 24 :] = np.ceil(rows[5, 16 * 24 :] * 0.1)  # slowed
    rows[6, 300:500] = np.nan  # a long gap
    totals = np.cumsum(np.nan_to_num(rows), axis=1)
    totals[7, 400:] -= 80.0  # the register went back
    rows[7, 400] = -80.0
    rows[6, 700] = 0.3  # a fraction of a litre
    return rows, totals


@cache
def fleet() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A simulated fleet's water meters with leaks and every fault kind, and the made ones."""
    devices = fleet_make(700, seed=11)
    events = events_inject(devices, start=START, days=DAYS, leaks=12, faults=36, seed=11)
    simulator = Simulator(devices, start=START, seed=11, events=events)
    litres, totals = simulator.water_hours(DAYS)
    apartments = devices.apartment[devices.of_kind(*simulator.water_kinds)].astype(np.int64)
    made, made_totals = _made(DAYS)
    gaps = np.random.default_rng(3).random(litres.shape) < 0.002  # lost hours
    litres[gaps] = np.nan
    return (
        np.vstack([litres, made]),
        np.vstack([totals, made_totals]),
        np.concatenate([apartments, -np.ones(len(made), dtype=np.int64)]),
    )


def test_the_test_fleet_shows_every_reason_and_empty_flats() -> None:
    litres, totals, apartments = fleet()
    alone = detect_reference(litres, GRID, totals=totals)
    assert set(np.unique(alone).tolist()) == {int(reason) for reason in Reason}
    households = detect_reference(litres, GRID, totals=totals, apartments=apartments)
    assert (households == Reason.STUCK).sum() < (alone == Reason.STUCK).sum()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_totals", [True, False])
@pytest.mark.parametrize("with_apartments", [True, False])
def test_the_fast_path_gives_the_reference_codes(
    dtype: type, with_totals: bool, with_apartments: bool
) -> None:
    litres, totals, apartments = fleet()
    litres = litres.astype(dtype)
    registers = totals if with_totals else None
    labels = apartments if with_apartments else None
    expected = detect_reference(litres, GRID, totals=registers, apartments=labels)
    assert (detect(litres, GRID, totals=registers, apartments=labels) == expected).all()


@pytest.mark.parametrize("offset", [1, 5, 13, 23])
def test_the_same_codes_from_any_hour_of_the_day(offset: int) -> None:
    litres, totals, _ = fleet()
    grid = Grid(first_hour=GRID.first_hour + offset)
    part, registers = litres[:, offset:].astype(np.float32), totals[:, offset:]
    expected = detect_reference(part, grid, totals=registers)
    assert (detect(part, grid, totals=registers) == expected).all()


def test_a_short_or_empty_chunk() -> None:
    litres, _, _ = fleet()
    for hours in (1, 30, 24 * 4 + 7):
        part = litres[:20, :hours]
        assert (detect(part, GRID) == detect_reference(part, GRID)).all()
    assert detect(litres[:20, :0], GRID).shape == (20, 0)
