"""The places API: lists, a district's GeoJSON, lookup, and errors that name the field."""

from __future__ import annotations

import pytest

from gorod.places.models import Institution
from tests.people.factories import UserFactory
from tests.places.factories import BuildingFactory, DistrictFactory, InstitutionFactory

pytestmark = pytest.mark.django_db
API = "/api/v1/places"


@pytest.fixture
def api(client):
    client.force_login(UserFactory.create())
    return client


def test_signing_in_is_required(client):
    assert client.get(f"{API}/okrugs").status_code == 401


def test_districts_are_listed_without_boundaries_and_filtered_by_okrug(api):
    district = DistrictFactory.create()
    DistrictFactory.create()
    body = api.get(f"{API}/districts", {"okrug": district.okrug_id}).json()
    assert [d["id"] for d in body] == [district.pk]
    assert "boundary" not in body[0]
    assert body[0]["okrug_name"] == district.okrug.name
    assert body[0]["bbox"] == [
        district.min_lon,
        district.min_lat,
        district.max_lon,
        district.max_lat,
    ]


def test_one_district_is_a_geojson_feature_with_its_boundary(api):
    district = DistrictFactory.create()
    body = api.get(f"{API}/districts/{district.pk}").json()
    assert body["type"] == "Feature"
    assert body["geometry"] == district.boundary
    assert body["properties"]["name"] == district.name


def test_an_unknown_district_is_404_with_a_message(api):
    response = api.get(f"{API}/districts/999999")
    assert response.status_code == 404
    assert response.json()["message"]


def test_lookup_returns_the_district_holding_the_point(api):
    district = DistrictFactory.create()
    response = api.get(
        f"{API}/lookup", {"lon": district.centroid_lon, "lat": district.centroid_lat}
    )
    assert response.status_code == 200
    assert response.json()["id"] == district.pk


def test_lookup_outside_every_district_is_404_with_a_message(api):
    DistrictFactory.create()
    response = api.get(f"{API}/lookup", {"lon": 30.31, "lat": 59.94})
    assert response.status_code == 404
    assert response.json()["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"lon": 181, "lat": 55}, "lon"), ({"lon": 37, "lat": -91}, "lat"), ({"lon": 37}, "lat")],
)
def test_lookup_refuses_a_coordinate_out_of_range_naming_it(api, query, field):
    response = api.get(f"{API}/lookup", query)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_buildings_are_paged_and_filtered_by_district(api):
    building = BuildingFactory.create()
    BuildingFactory.create_batch(2)
    body = api.get(f"{API}/buildings", {"district": building.district_id}).json()
    assert body["count"] == 1
    assert body["items"][0]["address"] == building.address


def test_institutions_are_filtered_by_kind(api):
    school = InstitutionFactory.create(
        kind=Institution.Kind.SCHOOL, opening_hours={"mon": [["08:00", "18:00"]]}
    )
    InstitutionFactory.create(kind=Institution.Kind.CLINIC, district=school.district)
    body = api.get(f"{API}/institutions", {"kind": "school", "district": school.district_id}).json()
    assert [i["id"] for i in body["items"]] == [school.pk]
    assert body["items"][0]["opening_hours"] == {"mon": [["08:00", "18:00"]]}


@pytest.mark.parametrize(
    ("query", "field"),
    [({"kind": "zoo"}, "kind"), ({"page": 0}, "page"), ({"district": 2**70}, "district")],
)
def test_a_bad_institution_filter_is_422_naming_it(api, query, field):
    response = api.get(f"{API}/institutions", query)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_an_unknown_district_filter_is_404_naming_it(api):
    response = api.get(f"{API}/buildings", {"district": 999999})
    assert response.status_code == 404
    assert response.json()["field"] == "district"
