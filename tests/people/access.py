"""The access matrix: who sees a citizen-owned object, through selectors, the API and the admin.

One ``World`` of actors around one family; a domain adds its rows as ``AccessCase`` values
(how to make its object in that world, how each channel reads it, and who must see it) and
parametrises a test with ``access_params(CASES)`` that calls ``assert_access``. Everyone
not in ``visible_to`` must not see the object; the back office is only for staff, so there
the expectation is ``visible_to`` among the officials.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from django.test import Client

from gorod.people.models import Citizen, Official, Role, User
from gorod.places.models import District, Institution
from tests.people.factories import (
    CitizenFactory,
    OfficialFactory,
    city_official,
    district_official,
    teen_of,
)
from tests.places.factories import (
    ApartmentFactory,
    BuildingFactory,
    DistrictFactory,
    InstitutionFactory,
)

OWNER = "owner"
GUARDIAN = "guardian"
STRANGER = "stranger"
HOME_INSTITUTION_OFFICIAL = "home_institution_official"
OTHER_INSTITUTION_OFFICIAL = "other_institution_official"
HOME_DISTRICT_OFFICIAL = "home_district_official"
OTHER_DISTRICT_OFFICIAL = "other_district_official"
CITY_ADMIN = "city_admin"
AUDITOR = "auditor"
ANONYMOUS = "anonymous"

ACTORS = (
    OWNER,
    GUARDIAN,
    STRANGER,
    HOME_INSTITUTION_OFFICIAL,
    OTHER_INSTITUTION_OFFICIAL,
    HOME_DISTRICT_OFFICIAL,
    OTHER_DISTRICT_OFFICIAL,
    CITY_ADMIN,
    AUDITOR,
    ANONYMOUS,
)
CHANNELS = ("selector", "api", "admin")
CITY_WIDE = frozenset({CITY_ADMIN, AUDITOR})


@dataclass
class World:
    """A family in one district, a neighbour, and officials in and out of its scope.

    ``owner`` is a 15-year-old with an account of their own; ``guardian`` is their parent.
    ``institution`` lies in ``district``, where the family lives: a domain's object that
    belongs to an institution uses it, so the home officials are in scope and the others
    are not.
    """

    owner: Citizen
    guardian: Citizen
    stranger: Citizen
    district: District
    institution: Institution
    officials: dict[str, Official] = field(default_factory=dict)

    def user(self, actor: str) -> User | AnonymousUser:
        if actor == ANONYMOUS:
            return AnonymousUser()
        if actor in self.officials:
            return self.officials[actor].user
        citizen = {OWNER: self.owner, GUARDIAN: self.guardian, STRANGER: self.stranger}[actor]
        assert citizen.user is not None
        return citizen.user

    def client(self, actor: str) -> Client:
        client = Client()
        user = self.user(actor)
        if isinstance(user, User):
            client.force_login(user)
        return client


def build_world() -> World:
    district = DistrictFactory.create()
    building = BuildingFactory.create(district=district)
    guardian = CitizenFactory.create(apartment=ApartmentFactory.create(building=building))
    owner = teen_of(guardian)
    stranger = CitizenFactory.create(apartment=ApartmentFactory.create(building=building))
    institution = InstitutionFactory.create(district=district)
    officials = {
        HOME_INSTITUTION_OFFICIAL: OfficialFactory.create(institution=institution),
        OTHER_INSTITUTION_OFFICIAL: OfficialFactory.create(
            institution=InstitutionFactory.create(district=district)
        ),
        HOME_DISTRICT_OFFICIAL: district_official(district=district),
        OTHER_DISTRICT_OFFICIAL: district_official(),
        CITY_ADMIN: city_official(Role.CITY_ADMIN),
        AUDITOR: city_official(Role.AUDITOR),
    }
    return World(
        owner=owner,
        guardian=guardian,
        stranger=stranger,
        district=district,
        institution=institution,
        officials=officials,
    )


@dataclass(frozen=True)
class AccessCase:
    """One kind of citizen-owned object and the three ways to read it."""

    name: str
    build: Callable[[World], Model]
    visible_to: frozenset[str]
    selector: Callable[[User | AnonymousUser], QuerySet[Any]]
    api: Callable[[Client, Any], bool]
    admin: Callable[[Client, Any], bool]


def access_params(cases: Iterable[AccessCase]) -> list[Any]:
    return [
        pytest.param(case, actor, channel, id=f"{case.name}-{actor}-{channel}")
        for case in cases
        for actor in ACTORS
        for channel in CHANNELS
    ]


def expected(case: AccessCase, world: World, actor: str, channel: str) -> bool:
    if actor not in case.visible_to:
        return False
    if channel == "admin":
        user = world.user(actor)
        return isinstance(user, User) and user.is_staff
    return True


def sees(case: AccessCase, world: World, actor: str, channel: str, obj: Any) -> bool:
    if channel == "selector":
        return case.selector(world.user(actor)).filter(pk=obj.pk).exists()
    client = world.client(actor)
    return case.api(client, obj) if channel == "api" else case.admin(client, obj)


def assert_access(case: AccessCase, actor: str, channel: str) -> None:
    world = build_world()
    obj = case.build(world)
    want = expected(case, world, actor, channel)
    got = sees(case, world, actor, channel, obj)
    verb = "must see" if want else "must not see"
    assert got == want, f"{actor} {verb} the {case.name} through the {channel}"
