"""What each dataset counts, with negligible noise (a huge epsilon) so the truth shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from gorod.privacy.datasets import DATASETS, build
from tests.people.factories import CitizenFactory
from tests.places.factories import ApartmentFactory, BuildingFactory, DistrictFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 1)
NO_NOISE = 10_000.0


def _rows(name: str) -> list[dict[str, Any]]:
    built = build(DATASETS[name], epsilon=NO_NOISE, delta=0.0, day=DAY)
    return [dict(zip(built.columns, row, strict=True)) for row in built.rows]


def _born(years: int, days: int = 0) -> dt.date:
    return DAY.replace(year=DAY.year - years) - dt.timedelta(days=days)


def test_residents_are_counted_in_their_district() -> None:
    apartment = ApartmentFactory.create()
    CitizenFactory.create_batch(3, apartment=apartment)
    CitizenFactory.create(apartment=ApartmentFactory.create())
    counts = {row["okato"]: row["residents"] for row in _rows("residents_by_district")}
    assert counts[apartment.building.district.okato] == 3


def test_every_district_is_a_row_even_without_residents() -> None:
    empty = DistrictFactory.create()
    CitizenFactory.create()
    okatos = [row["okato"] for row in _rows("residents_by_district")]
    assert empty.okato in okatos
    assert len(okatos) == len(set(okatos))


def test_a_resident_without_an_address_is_not_counted() -> None:
    district = DistrictFactory.create()
    CitizenFactory.create(apartment=None)
    CitizenFactory.create(
        apartment=ApartmentFactory.create(building=BuildingFactory.create(district=district))
    )
    assert sum(row["residents"] for row in _rows("residents_by_district")) == 1


def test_children_fall_in_their_age_band() -> None:
    apartment = ApartmentFactory.create()
    for years in (1, 5, 6, 10, 17):
        CitizenFactory.create(apartment=apartment, birth_date=_born(years))
    bands = {
        row["age_band"]: row["children"]
        for row in _rows("children_by_age_band_by_district")
        if row["okato"] == apartment.building.district.okato
    }
    assert bands == {"0-2": 1, "3-6": 2, "7-17": 2}


def test_a_person_of_eighteen_is_not_a_child() -> None:
    apartment = ApartmentFactory.create()
    CitizenFactory.create(apartment=apartment, birth_date=_born(18))
    CitizenFactory.create(apartment=apartment, birth_date=_born(18, days=-1))
    total = sum(row["children"] for row in _rows("children_by_age_band_by_district"))
    assert total == 1


def test_households_count_once_and_their_size_is_clamped_to_ten() -> None:
    big = ApartmentFactory.create()
    CitizenFactory.create_batch(12, apartment=big)
    small = ApartmentFactory.create(building=big.building)
    CitizenFactory.create_batch(2, apartment=small)
    ApartmentFactory.create(building=big.building)  # nobody lives there
    row = next(
        r for r in _rows("household_size_by_district") if r["okato"] == big.building.district.okato
    )
    assert row["households"] == 2
    assert row["household_members"] == 12  # 10 (clamped from 12) + 2
    assert row["mean_household_size"] == 6.0


def test_the_mean_household_size_is_empty_where_no_household_was_counted() -> None:
    district = DistrictFactory.create()
    row = next(r for r in _rows("household_size_by_district") if r["okato"] == district.okato)
    assert row["households"] == 0
    assert row["mean_household_size"] is None


def test_the_budget_is_split_evenly_between_measures() -> None:
    DistrictFactory.create()
    built = build(DATASETS["household_size_by_district"], epsilon=1.0, delta=0.0, day=DAY)
    assert built.parameters["epsilon_per_measure"] == 0.5
    assert all(noise["epsilon"] <= 0.5 for noise in built.accuracy.values())
