"""The back office for places: Russian labels, and each official sees their scope only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import translation

from gorod.people.models import Official, Role
from gorod.people.roles import role_group_name, role_groups_sync
from tests.people.factories import OfficialFactory, city_official, district_official
from tests.places.factories import BuildingFactory, InstitutionFactory

pytestmark = pytest.mark.django_db


def signed_in(client: Client, official: Official) -> Client:
    role_groups_sync()
    official.user.groups.add(Group.objects.get(name=role_group_name(official.role)))
    client.force_login(official.user)
    return client


def test_a_district_official_sees_no_building_of_another_district(client):
    mine, theirs = (
        BuildingFactory.create(address="Москва, Моя улица, д. 1"),
        BuildingFactory.create(address="Москва, Чужая улица, д. 2"),
    )
    official = district_official(Role.UTILITY_OPERATOR, district=mine.district)
    page = signed_in(client, official).get("/admin/places/building/")
    assert page.status_code == 200
    assert mine.address in page.content.decode()
    assert theirs.address not in page.content.decode()


def test_a_district_official_cannot_open_a_building_of_another_district(client):
    mine, theirs = BuildingFactory.create(), BuildingFactory.create()
    official = district_official(Role.UTILITY_OPERATOR, district=mine.district)
    response = signed_in(client, official).get(f"/admin/places/building/{theirs.pk}/change/")
    assert response.status_code == 302  # Django admin redirects an object it cannot find


def test_an_institution_official_sees_only_their_institution(client):
    own = InstitutionFactory.create(name="Своя поликлиника")
    other = InstitutionFactory.create(name="Чужая поликлиника", district=own.district)
    official = OfficialFactory.create(role=Role.DOCTOR, institution=own)
    page = signed_in(client, official).get("/admin/places/institution/").content.decode()
    assert own.name in page
    assert other.name not in page


def test_a_city_administrator_sees_every_institution(client):
    names = [InstitutionFactory.create().name for _ in range(3)]
    page = signed_in(client, city_official(Role.CITY_ADMIN)).get("/admin/places/institution/")
    assert all(name in page.content.decode() for name in names)


def test_the_back_office_speaks_russian(client):
    with translation.override("ru"):
        page = signed_in(client, city_official(Role.CITY_ADMIN)).get(
            "/admin/places/institution/", HTTP_ACCEPT_LANGUAGE="ru"
        )
    assert "Учреждения" in page.content.decode()


def test_opening_hours_out_of_order_are_refused_naming_the_day(client):
    institution = InstitutionFactory.create()
    admin = signed_in(client, city_official(Role.CITY_ADMIN))
    form = {
        "kind": institution.kind,
        "name": institution.name,
        "short_name": "",
        "district": institution.district_id,
        "address": institution.address,
        "lat": institution.lat,
        "lon": institution.lon,
        "phone": "",
        "opening_hours": '{"mon": [["18:00", "09:00"]]}',
        "is_active": "on",
    }
    with translation.override("en"):
        response = admin.post(
            f"/admin/places/institution/{institution.pk}/change/", form, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 200
    assert "mon: each interval must end after it starts" in response.content.decode()
    institution.refresh_from_db()
    assert institution.opening_hours == {}
