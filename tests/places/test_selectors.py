"""Reads: point-in-district lookup and the officials' scope."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from gorod.places.models import Building
from gorod.places.selectors import district_at, places_for_user
from gorod.places.services import boundaries_import_files
from tests.people.factories import OfficialFactory, UserFactory, city_official, district_official
from tests.places.factories import BuildingFactory, DistrictFactory, InstitutionFactory
from tests.places.helpers import moscow_dir

pytestmark = pytest.mark.django_db


def test_a_point_on_tverskaya_street_is_in_the_tverskoy_district():
    boundaries_import_files(districts_path=moscow_dir() / "districts.geojson")
    found = district_at(lon=37.6056, lat=55.7652)
    assert found is not None
    assert found.name == "Тверской"


def test_a_point_in_saint_petersburg_is_in_no_district():
    boundaries_import_files(districts_path=moscow_dir() / "districts.geojson")
    assert district_at(lon=30.3141, lat=59.9386) is None


def test_a_point_inside_the_box_but_outside_the_polygon_is_in_no_district():
    triangle = [[[37, 55], [37.01, 55], [37, 55.01], [37, 55]]]
    district = DistrictFactory.create(
        boundary={"type": "Polygon", "coordinates": triangle},
        min_lon=37, min_lat=55, max_lon=37.01, max_lat=55.01,
    )  # fmt: skip
    assert district_at(lon=37.002, lat=55.002) == district
    assert district_at(lon=37.009, lat=55.009) is None


def test_a_district_official_sees_only_the_buildings_of_their_district():
    mine, theirs = BuildingFactory.create(), BuildingFactory.create()
    official = district_official(district=mine.district)
    visible = places_for_user(Building.objects.all(), official.user)
    assert list(visible) == [mine]
    assert theirs not in visible


def test_an_institution_official_sees_only_the_building_of_their_institution():
    institution = InstitutionFactory.create(building=BuildingFactory.create())
    BuildingFactory.create(district=institution.district)
    official = OfficialFactory.create(institution=institution)
    assert list(places_for_user(Building.objects.all(), official.user)) == [institution.building]


def test_a_city_official_sees_every_building():
    BuildingFactory.create_batch(3)
    assert places_for_user(Building.objects.all(), city_official().user).count() == 3


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_people_who_are_not_officials_see_no_building(who):
    BuildingFactory.create()
    user = AnonymousUser() if who == "anonymous" else UserFactory.create()
    assert not places_for_user(Building.objects.all(), user).exists()
