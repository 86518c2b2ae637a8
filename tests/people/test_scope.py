"""``scope.restrict``: the rules every domain's selectors rely on, as an access matrix."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from gorod.people.models import Citizen, Official, Role
from gorod.people.scope import is_city_admin, official_for, restrict
from gorod.places.models import Institution
from tests.people.factories import (
    CitizenFactory,
    OfficialFactory,
    UserFactory,
    account,
    child_of,
    city_official,
    district_official,
)
from tests.places.factories import ApartmentFactory, BuildingFactory, InstitutionFactory

pytestmark = pytest.mark.django_db


def institutions_seen(user: Any) -> set[int]:
    qs = restrict(Institution.objects.all(), user, institution="pk", district="district")
    return set(qs.values_list("pk", flat=True))


def test_an_institution_official_sees_their_institution_only() -> None:
    institution = InstitutionFactory.create()
    official = OfficialFactory.create(institution=institution)
    InstitutionFactory.create(district=institution.district)
    assert institutions_seen(official.user) == {institution.pk}


def test_a_district_official_sees_the_institutions_of_their_district() -> None:
    official = district_official()
    inside = {InstitutionFactory.create(district=official.district).pk for _ in range(2)}
    InstitutionFactory.create()
    assert institutions_seen(official.user) == inside


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.AUDITOR])
def test_city_roles_see_everything(role: str) -> None:
    InstitutionFactory.create_batch(3)
    assert len(institutions_seen(city_official(role).user)) == 3


def test_a_superuser_sees_everything() -> None:
    InstitutionFactory.create_batch(2)
    assert len(institutions_seen(UserFactory.create(is_superuser=True))) == 2


def test_nobody_signed_in_sees_nothing() -> None:
    InstitutionFactory.create()
    assert institutions_seen(AnonymousUser()) == set()


def test_an_inactive_superuser_sees_nothing() -> None:
    InstitutionFactory.create()
    assert institutions_seen(UserFactory.create(is_superuser=True, is_active=False)) == set()


def test_a_district_official_reaches_objects_through_the_institution_path() -> None:
    official = district_official()
    colleague = OfficialFactory.create(
        institution=InstitutionFactory.create(district=official.district)
    )
    OfficialFactory.create()
    seen = restrict(Official.objects.all(), official.user, institution="institution")
    assert set(seen) == {colleague}


def test_a_path_left_out_grants_nothing() -> None:
    official = OfficialFactory.create()
    assert not restrict(Institution.objects.all(), official.user, district="district").exists()


def citizens_seen(user: Any) -> set[Citizen]:
    qs = restrict(
        Citizen.objects.all(), user, citizen="pk", district="apartment__building__district"
    )
    return set(qs)


def test_a_citizen_sees_themself_and_their_children() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    CitizenFactory.create(apartment=parent.apartment)
    assert citizens_seen(account(parent)) == {parent, child}


def test_a_child_with_two_guardians_is_seen_once_by_each() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    other = CitizenFactory.create()
    child.guardians.create(guardian=other)
    qs = restrict(Citizen.objects.all(), account(other), citizen="pk")
    assert sorted(c.pk for c in qs) == sorted([other.pk, child.pk])


def test_a_district_official_sees_the_residents_of_their_district_through_the_path() -> None:
    official = district_official()
    building = BuildingFactory.create(district=official.district)
    resident = CitizenFactory.create(apartment=ApartmentFactory.create(building=building))
    CitizenFactory.create()
    assert citizens_seen(official.user) == {resident}


def test_an_official_who_is_a_resident_sees_their_own_record_too() -> None:
    official = OfficialFactory.create()
    me = CitizenFactory.create(user=official.user)
    CitizenFactory.create()
    assert citizens_seen(official.user) == {me}


def test_official_for_a_citizen_is_none() -> None:
    citizen = CitizenFactory.create()
    assert official_for(account(citizen)) is None
    assert official_for(AnonymousUser()) is None


def test_only_city_administrators_and_superusers_are_city_administrators() -> None:
    assert is_city_admin(city_official(Role.CITY_ADMIN).user)
    assert is_city_admin(UserFactory.create(is_superuser=True))
    assert not is_city_admin(city_official(Role.AUDITOR).user)
    assert not is_city_admin(AnonymousUser())
