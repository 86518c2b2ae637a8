"""Differentially private counts and sums per cell, built from OpenDP measurements.

Pure: no Django. A *cell* is one row of a released table (a district, or a district and
an age band); the caller lists every cell up front, from public knowledge, so that which
cells appear never depends on the data. Each record contributes to exactly one cell:

- counts use OpenDP's ``make_count_by_categories`` (one record changes one cell by one);
- sums clamp every value to ``bounds`` with ``make_clamp`` and add noise per cell; since
  the cells partition the records, the per-cell measurements compose in parallel and the
  table costs what one cell costs.

Without ``delta`` the noise is discrete Laplace (pure epsilon-DP); with ``delta`` it is
discrete Gaussian (zero-concentrated DP, converted to (epsilon, delta)-DP). The scale is
found by OpenDP's own privacy map, so the guarantee is OpenDP's, not a formula of ours.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

CONFIDENCE = 0.95
LAPLACE = "discrete Laplace"
GAUSSIAN = "discrete Gaussian"


@dataclass(frozen=True)
class Noise:
    """What a released column was made with, and how far each cell may be from the truth."""

    mechanism: str
    scale: float
    epsilon: float
    delta: float
    plus_minus: float
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@functools.cache
def _opendp() -> Any:
    """OpenDP, imported on first use: its prelude loads scikit-learn and SciPy (some 2 s),
    which every process of the platform would otherwise pay at start for the admin's form."""
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp


def _budget(epsilon: float, delta: float) -> float | tuple[float, float]:
    if not epsilon > 0:
        raise ValueError("epsilon must be positive")
    if not 0 <= delta < 1:
        raise ValueError("delta must be at least 0 and below 1")
    return (epsilon, delta) if delta else epsilon


def _finish(make: Any, epsilon: float, delta: float, d_in: int) -> tuple[Any, Noise]:
    """Calibrate ``make(scale)`` to (epsilon, delta) and describe the noise it adds."""
    dp = _opendp()
    d_out = _budget(epsilon, delta)
    if delta:

        def approx(scale: float) -> Any:
            return dp.c.make_fix_delta(dp.c.make_zCDP_to_approxDP(make(scale)), delta)

        scale = dp.binary_search_param(approx, d_in=d_in, d_out=d_out)
        measurement = approx(scale)
        spent_epsilon, spent_delta = measurement.map(d_in)
        plus_minus = dp.discrete_gaussian_scale_to_accuracy(scale, 1 - CONFIDENCE)
        mechanism = GAUSSIAN
    else:
        scale = dp.binary_search_param(make, d_in=d_in, d_out=d_out)
        measurement = make(scale)
        spent_epsilon, spent_delta = measurement.map(d_in), 0.0
        plus_minus = dp.discrete_laplacian_scale_to_accuracy(scale, 1 - CONFIDENCE)
        mechanism = LAPLACE
    noise = Noise(
        mechanism=mechanism,
        scale=float(scale),
        epsilon=float(spent_epsilon),
        delta=float(spent_delta),
        plus_minus=float(plus_minus),
        confidence=CONFIDENCE,
    )
    return measurement, noise


def _then_noise(delta: float, scale: float) -> Any:
    dp = _opendp()
    return dp.m.then_gaussian(scale) if delta else dp.m.then_laplace(scale)


def count_measurement(cells: int, *, epsilon: float, delta: float = 0.0) -> tuple[Any, Noise]:
    """A measurement from a list of cell indices (one per record) to noisy counts per cell."""
    if cells < 1:
        raise ValueError("a table needs at least one cell")
    dp = _opendp()
    metric = dp.L2Distance[int] if delta else dp.L1Distance[int]

    def make(scale: float) -> Any:
        count = dp.t.make_count_by_categories(
            dp.vector_domain(dp.atom_domain(T=int)),
            dp.symmetric_distance(),
            categories=list(range(cells)),
            null_category=False,
            MO=metric,
        )
        return count >> _then_noise(delta, scale)

    return _finish(make, epsilon, delta, d_in=1)


def sum_measurement(
    *, bounds: tuple[int, int], epsilon: float, delta: float = 0.0
) -> tuple[Any, Noise]:
    """A measurement from one cell's values to their noisy sum, each value clamped to bounds."""
    lower, upper = bounds
    if lower > upper:
        raise ValueError("the lower bound must not exceed the upper bound")
    dp = _opendp()

    def make(scale: float) -> Any:
        clamp = dp.t.make_clamp(
            dp.vector_domain(dp.atom_domain(T="i64")), dp.symmetric_distance(), bounds=bounds
        )
        total = dp.t.make_sum(clamp.output_domain, clamp.output_metric)
        return clamp >> total >> _then_noise(delta, scale)

    return _finish(make, epsilon, delta, d_in=1)


def noisy_counts(
    records: Sequence[int], cells: int, *, epsilon: float, delta: float = 0.0
) -> tuple[list[int], Noise]:
    """Noisy counts per cell; ``records`` holds each record's cell index (0..cells-1)."""
    if any(not 0 <= cell < cells for cell in records):
        raise ValueError("every record must name one of the cells")
    measurement, noise = count_measurement(cells, epsilon=epsilon, delta=delta)
    return [int(value) for value in measurement(list(records))], noise


def noisy_sums(
    values_by_cell: Sequence[Sequence[int]],
    *,
    bounds: tuple[int, int],
    epsilon: float,
    delta: float = 0.0,
) -> tuple[list[int], Noise]:
    """Noisy sums per cell of values clamped to ``bounds``; each record is in one cell only."""
    measurement, noise = sum_measurement(bounds=bounds, epsilon=epsilon, delta=delta)
    return [int(measurement([int(v) for v in values])) for values in values_by_cell], noise
