"""The datasets that may be released with differential privacy, and how each is built.

Every dataset lists its cells from public knowledge (the districts, the age bands), says
what one unit of privacy is (a resident, a child, a household) and bounds what a unit
contributes: one record in one cell, and for sums a value clamped to the bounds. The
budget of a release is split evenly between the dataset's measures (sequential
composition); derived columns such as a mean are post-processing and cost nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gorod.people.models import Citizen
from gorod.places.models import Apartment, District
from gorod.privacy import dp

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# One cell's key: the district's primary key, then any further key values (an age band).
CellKey = tuple[int, ...]


@dataclass(frozen=True)
class Cell:
    key: CellKey
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Measure:
    """One noisy column: a count of records per cell, or with bounds a sum of clamped values.

    ``load(day)`` gives (cell key, n) pairs: for a count, n records fall in that cell; for
    a sum, one record in that cell has the value n.
    """

    name: str
    label: str | StrPromise
    load: Callable[[dt.date], Sequence[tuple[CellKey, int]]]
    bounds: tuple[int, int] | None = None


@dataclass(frozen=True)
class Derived:
    """A column computed from released ones: post-processing, no privacy cost."""

    name: str
    label: str | StrPromise
    compute: Callable[[dict[str, int]], float | None]


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str | StrPromise
    description: str | StrPromise
    unit: str | StrPromise
    key_columns: tuple[tuple[str, str | StrPromise], ...]
    cells: Callable[[], list[Cell]]
    measures: tuple[Measure, ...]
    derived: tuple[Derived, ...] = ()
    default_total_epsilon: Decimal = Decimal(3)
    default_total_delta: Decimal = Decimal("0.000001")
    extra_parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[tuple[str, str | StrPromise]]:
        return [
            *self.key_columns,
            *((m.name, m.label) for m in self.measures),
            *((d.name, d.label) for d in self.derived),
        ]


@dataclass(frozen=True)
class Built:
    """A released table with the noise description of each measured column."""

    columns: list[str]
    rows: list[list[Any]]
    accuracy: dict[str, dict[str, Any]]
    parameters: dict[str, Any]


# The noise of a release, as people read it.
MECHANISMS = {dp.LAPLACE: _("discrete Laplace"), dp.GAUSSIAN: _("discrete Gaussian")}

AGE_BANDS: tuple[tuple[int, int], ...] = ((0, 2), (3, 6), (7, 17))


def _band_label(band: tuple[int, int]) -> str:
    return f"{band[0]}-{band[1]}"


def _districts() -> list[District]:
    return list(District.objects.order_by("name", "pk"))


def _district_cells() -> list[Cell]:
    return [Cell((d.pk,), (d.okato, d.name)) for d in _districts()]


def _district_band_cells() -> list[Cell]:
    return [
        Cell((d.pk, band_index), (d.okato, d.name, _band_label(band)))
        for d in _districts()
        for band_index, band in enumerate(AGE_BANDS)
    ]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def _residents(day: dt.date) -> list[tuple[CellKey, int]]:
    """One record per resident with an address, in the district they live in."""
    per_district = (
        Citizen.objects.filter(apartment__isnull=False)
        .values_list("apartment__building__district")
        .annotate(n=Count("pk"))
    )
    return [((district,), n) for district, n in per_district]


def _children(day: dt.date) -> list[tuple[CellKey, int]]:
    """One record per resident under 18 on ``day``, in their district and age band."""
    records: list[tuple[CellKey, int]] = []
    for band_index, (youngest, oldest) in enumerate(AGE_BANDS):
        born_after = _years_before(day, oldest + 1)
        born_on_or_before = _years_before(day, youngest)
        per_district = (
            Citizen.objects.filter(
                apartment__isnull=False,
                birth_date__gt=born_after,
                birth_date__lte=born_on_or_before,
            )
            .values_list("apartment__building__district")
            .annotate(n=Count("pk"))
        )
        records.extend(((district, band_index), n) for district, n in per_district)
    return records


def _household_rows(day: dt.date) -> list[tuple[int, int]]:
    """One row per occupied apartment: its district and how many people live there."""
    return list(
        Apartment.objects.annotate(size=Count("residents"))
        .filter(size__gt=0)
        .values_list("building__district", "size")
    )


def _households(day: dt.date) -> list[tuple[CellKey, int]]:
    return [((district,), 1) for district, _size in _household_rows(day)]


def _household_sizes(day: dt.date) -> list[tuple[CellKey, int]]:
    return [((district,), size) for district, size in _household_rows(day)]


def _mean_household_size(values: dict[str, int]) -> float | None:
    households = values["households"]
    if households < 1:
        return None
    low, high = HOUSEHOLD_BOUNDS
    return round(min(max(values["household_members"] / households, low), high), 2)


HOUSEHOLD_BOUNDS = (1, 10)
DISTRICT_KEYS: tuple[tuple[str, str | StrPromise], ...] = (
    ("okato", "OKATO"),
    ("district", _("district")),
)

DATASETS: dict[str, Dataset] = {
    dataset.name: dataset
    for dataset in (
        Dataset(
            name="residents_by_district",
            title=_("Residents by district"),
            description=_("How many residents with a registered address live in each district."),
            unit=_("one resident"),
            key_columns=DISTRICT_KEYS,
            cells=_district_cells,
            measures=(Measure("residents", _("residents"), _residents),),
        ),
        Dataset(
            name="children_by_age_band_by_district",
            title=_("Children by age band and district"),
            description=_(
                "Residents under 18 in each district, by age band: 0-2 (nursery), "
                "3-6 (kindergarten), 7-17 (school)."
            ),
            unit=_("one child"),
            key_columns=(*DISTRICT_KEYS, ("age_band", _("age band"))),
            cells=_district_band_cells,
            measures=(Measure("children", _("children"), _children),),
            extra_parameters={"age_bands": [list(band) for band in AGE_BANDS]},
        ),
        Dataset(
            name="household_size_by_district",
            title=_("Household size by district"),
            description=_(
                "Occupied apartments in each district, the people living in them (each "
                "household counted as 1 to 10 people) and the mean household size."
            ),
            unit=_("one household"),
            key_columns=DISTRICT_KEYS,
            cells=_district_cells,
            measures=(
                Measure("households", _("households"), _households),
                Measure(
                    "household_members",
                    _("people in households"),
                    _household_sizes,
                    bounds=HOUSEHOLD_BOUNDS,
                ),
            ),
            derived=(
                Derived("mean_household_size", _("mean household size"), _mean_household_size),
            ),
        ),
    )
}


def measure_noise(
    dataset: Dataset, *, cells: int, epsilon: float, delta: float
) -> dict[str, dp.Noise]:
    """The noise each measure would get, without touching any data (for a dry run)."""
    share_epsilon, share_delta = _share(dataset, epsilon, delta)
    noise: dict[str, dp.Noise] = {}
    for measure in dataset.measures:
        if measure.bounds is None:
            _m, noise[measure.name] = dp.count_measurement(
                cells, epsilon=share_epsilon, delta=share_delta
            )
        else:
            _m, noise[measure.name] = dp.sum_measurement(
                bounds=measure.bounds, epsilon=share_epsilon, delta=share_delta
            )
    return noise


def _share(dataset: Dataset, epsilon: float, delta: float) -> tuple[float, float]:
    parts = len(dataset.measures)
    return epsilon / parts, delta / parts


def build(dataset: Dataset, *, epsilon: float, delta: float, day: dt.date | None = None) -> Built:
    """Measure every column with noise and assemble the table, one row per cell."""
    day = day or timezone.localdate()
    cells = dataset.cells()
    index = {cell.key: position for position, cell in enumerate(cells)}
    share_epsilon, share_delta = _share(dataset, epsilon, delta)
    values: dict[str, list[int]] = {}
    accuracy: dict[str, dict[str, Any]] = {}
    for measure in dataset.measures:
        # A district added after the cells were listed is not in this release.
        loaded = [(index[key], n) for key, n in measure.load(day) if key in index]
        if measure.bounds is None:
            records: list[int] = []
            for position, n in loaded:
                records.extend([position] * n)
            values[measure.name], noise = dp.noisy_counts(
                records, len(cells), epsilon=share_epsilon, delta=share_delta
            )
        else:
            per_cell: list[list[int]] = [[] for _ in cells]
            for position, value in loaded:
                per_cell[position].append(value)
            values[measure.name], noise = dp.noisy_sums(
                per_cell, bounds=measure.bounds, epsilon=share_epsilon, delta=share_delta
            )
        accuracy[measure.name] = noise.as_dict()
    rows: list[list[Any]] = []
    for position, cell in enumerate(cells):
        measured = {name: column[position] for name, column in values.items()}
        derived = [d.compute(measured) for d in dataset.derived]
        rows.append([*cell.labels, *measured.values(), *derived])
    parameters = {
        "day": day.isoformat(),
        "cells": len(cells),
        "unit_of_privacy": str(dataset.unit),
        "contribution": "each unit contributes one record to one cell",
        "epsilon_per_measure": share_epsilon,
        "delta_per_measure": share_delta,
        "bounds": {m.name: list(m.bounds) for m in dataset.measures if m.bounds},
        **dataset.extra_parameters,
    }
    return Built([name for name, _label in dataset.columns], rows, accuracy, parameters)
