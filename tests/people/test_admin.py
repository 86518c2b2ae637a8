"""The back office for people: scope, read-only citizens, officials checked against roles."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gorod.people.models import Official, Role
from tests.people.factories import (
    CitizenFactory,
    OfficialFactory,
    UserFactory,
    account,
    city_official,
    token_for,
)
from tests.places.factories import DistrictFactory

pytestmark = pytest.mark.django_db


def test_the_back_office_has_its_own_title(client: Client) -> None:
    client.force_login(city_official().user)
    html = client.get(reverse("admin:index")).content.decode()
    assert "Горо́д: бэк-офис" in html


def test_a_city_administrator_finds_a_citizen_by_snils_as_written(client: Client) -> None:
    wanted = CitizenFactory.create(snils="11223344595")
    CitizenFactory.create()
    client.force_login(city_official().user)
    response = client.get(reverse("admin:people_citizen_changelist"), {"q": "112-233-445 95"})
    assert list(response.context["cl"].queryset) == [wanted]


def test_citizens_are_read_only_even_for_a_city_administrator(client: Client) -> None:
    citizen = CitizenFactory.create()
    client.force_login(city_official().user)
    url = reverse("admin:people_citizen_change", args=[citizen.pk])
    response = client.post(url, {"last_name": "Другая"})
    assert response.status_code == 403
    citizen.refresh_from_db()
    assert citizen.last_name != "Другая"


def test_a_clerk_does_not_see_the_citizen_register(client: Client) -> None:
    client.force_login(OfficialFactory.create().user)
    assert client.get(reverse("admin:people_citizen_changelist")).status_code == 403


def test_an_official_sees_colleagues_of_their_institution_only(client: Client) -> None:
    official = OfficialFactory.create(role=Role.REGISTRY_CLERK)
    colleague = OfficialFactory.create(institution=official.institution)
    OfficialFactory.create()
    official.user.user_permissions.add(
        *__import__(
            "django.contrib.auth.models", fromlist=["Permission"]
        ).Permission.objects.filter(codename="view_official")
    )
    client.force_login(official.user)
    response = client.get(reverse("admin:people_official_changelist"))
    assert set(response.context["cl"].queryset) == {official, colleague}


def test_adding_an_official_in_the_back_office_opens_the_checked_page(client: Client) -> None:
    client.force_login(city_official().user)
    response = client.get(reverse("admin:people_official_add"))
    assert response.status_code == 302
    assert response["Location"] == reverse("people:official-create")


def test_changing_a_role_in_the_back_office_checks_the_scope(client: Client) -> None:
    official = OfficialFactory.create()
    client.force_login(city_official().user)
    url = reverse("admin:people_official_change", args=[official.pk])
    response = client.post(url, {"role": Role.UTILITY_OPERATOR, "position": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["district"]
    official.refresh_from_db()
    assert official.role == Role.REGISTRY_CLERK


def test_changing_a_role_in_the_back_office_saves_a_fitting_scope(client: Client) -> None:
    official = OfficialFactory.create()
    district = DistrictFactory.create()
    client.force_login(city_official().user)
    url = reverse("admin:people_official_change", args=[official.pk])
    data = {"role": Role.UTILITY_OPERATOR, "district": district.pk, "position": ""}
    assert client.post(url, data).status_code == 302
    official = Official.objects.get(pk=official.pk)
    assert (official.role, official.district, official.institution) == (
        Role.UTILITY_OPERATOR,
        district,
        None,
    )


def test_only_a_superuser_hands_out_back_office_rights(client: Client) -> None:
    citizen = CitizenFactory.create()
    client.force_login(city_official().user)
    url = reverse("admin:people_user_change", args=[account(citizen).pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="is_superuser"' not in response.content.decode()


def test_tokens_in_the_back_office_are_only_ones_own(client: Client) -> None:
    admin = city_official().user
    mine, _ = token_for(admin)
    token_for(UserFactory.create())
    client.force_login(admin)
    response = client.get(reverse("admin:people_apitoken_changelist"))
    assert list(response.context["cl"].queryset) == [mine]
