"""Every citizen-owned object of ``people`` against every actor, through every channel."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gorod.people import selectors
from gorod.people.models import ApiToken, Citizen, Guardianship
from tests.people.access import (
    CITY_WIDE,
    GUARDIAN,
    OWNER,
    AccessCase,
    World,
    access_params,
    assert_access,
)
from tests.people.factories import child_of, token_for


def _citizen_by_api(client: Client, citizen: Citizen) -> bool:
    return client.get(f"/api/v1/citizens/{citizen.pk}").status_code == 200


def _citizen_in_admin(client: Client, citizen: Citizen) -> bool:
    url = reverse("admin:people_citizen_change", args=[citizen.pk])
    return client.get(url).status_code == 200


def _guardianship_by_api(client: Client, link: Guardianship) -> bool:
    response = client.get(f"/api/v1/citizens/{link.child_id}")
    return response.status_code == 200 and link.pk in {
        g["id"] for g in response.json()["guardians"]
    }


def _guardianship_in_admin(client: Client, link: Guardianship) -> bool:
    response = client.get(reverse("admin:people_citizen_change", args=[link.child_id]))
    return response.status_code == 200 and link.guardian.full_name in response.text


def _token_by_api(client: Client, token: ApiToken) -> bool:
    response = client.get("/api/v1/auth/tokens")
    return response.status_code == 200 and token.pk in {t["id"] for t in response.json()}


def _token_in_admin(client: Client, token: ApiToken) -> bool:
    url = reverse("admin:people_apitoken_change", args=[token.pk])
    return client.get(url).status_code == 200


def _own_guardianship(world: World) -> Guardianship:
    return Guardianship.objects.get(guardian=world.guardian, child=world.owner)


def _young_child(world: World) -> Any:
    return child_of(world.guardian)


def _owners_token(world: World) -> Any:
    assert world.owner.user is not None
    return token_for(world.owner.user)[0]


CASES = [
    AccessCase(
        name="citizen_profile",
        build=lambda world: world.owner,
        visible_to=frozenset({OWNER, GUARDIAN}) | CITY_WIDE,
        selector=selectors.citizens_visible_to,
        api=_citizen_by_api,
        admin=_citizen_in_admin,
    ),
    AccessCase(
        name="child",
        build=_young_child,
        visible_to=frozenset({GUARDIAN}) | CITY_WIDE,
        selector=selectors.citizens_visible_to,
        api=_citizen_by_api,
        admin=_citizen_in_admin,
    ),
    AccessCase(
        name="guardianship",
        build=_own_guardianship,
        visible_to=frozenset({OWNER, GUARDIAN}) | CITY_WIDE,
        selector=selectors.guardianships_visible_to,
        api=_guardianship_by_api,
        admin=_guardianship_in_admin,
    ),
    AccessCase(
        name="api_token",
        build=_owners_token,
        visible_to=frozenset({OWNER}),
        selector=selectors.api_tokens_of,
        api=_token_by_api,
        admin=_token_in_admin,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("case", "actor", "channel"), access_params(CASES))
def test_access(case: AccessCase, actor: str, channel: str) -> None:
    assert_access(case, actor, channel)
