from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone, translation

from gorod.people.models import Role
from tests.people.factories import CitizenFactory, OfficialFactory, UserFactory, child_of
from tests.places.factories import ApartmentFactory, BuildingFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_home_page_is_in_russian_by_default(client):
    response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert '<html lang="ru">' in response.text
    assert "Городские услуги в одном месте" in response.text


def test_the_home_page_shows_the_public_tiles_that_resolve(client, monkeypatch):
    monkeypatch.setattr(
        apps.get_app_config("portal"),
        "public_tiles",
        [
            {"title": "Open page", "url_name": "portal:home", "description": "x"},
            {"title": "Missing page", "url_name": "nowhere:missing", "description": "y"},
        ],
        raising=False,
    )

    response = client.get(reverse("portal:home"))

    assert "Open page" in response.text
    assert "Missing page" not in response.text


def test_the_cabinet_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get(reverse("portal:cabinet"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_my_home_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get(reverse("portal:my-home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_the_cabinet_greets_the_citizen_by_first_name(client):
    citizen = CitizenFactory.create(first_name="Анна")

    response = signed_in(citizen.user).get(reverse("portal:cabinet"))

    assert response.status_code == 200
    assert "Здравствуйте, Анна!" in response.text


def test_the_cabinet_summary_shows_address_district_and_okrug():
    citizen = CitizenFactory.create()
    building = citizen.apartment.building

    response = signed_in(citizen.user).get(reverse("portal:cabinet"))

    assert building.address in response.text
    assert f"кв. {citizen.apartment.number}" in response.text
    assert building.district.name in response.text
    assert building.district.okrug.name in response.text


def test_the_cabinet_offers_to_add_a_missing_address():
    citizen = CitizenFactory.create(apartment=None)

    response = signed_in(citizen.user).get(reverse("portal:cabinet"))

    assert "Адрес не указан." in response.text
    assert f'href="{reverse("people:address")}"' in response.text


def test_the_cabinet_counts_the_children_with_their_ages():
    parent = CitizenFactory.create()
    today = timezone.localdate()
    child_of(parent, first_name="Олег", birth_date=dt.date(today.year - 7, 1, 1))
    child_of(parent, first_name="Дарья", birth_date=dt.date(today.year - 2, 1, 1))

    response = signed_in(parent.user).get(reverse("portal:cabinet"))

    assert "2 ребёнка" in response.text
    assert "Олег, 7 лет" in response.text
    assert "Дарья, 2 года" in response.text


def test_the_cabinet_shows_only_tiles_whose_url_resolves(monkeypatch):
    monkeypatch.setattr(
        apps.get_app_config("portal"),
        "citizen_tiles",
        [
            {"title": "My home", "url_name": "portal:my-home", "description": ""},
            {"title": "Meter readings", "url_name": "utilities:readings", "description": ""},
        ],
    )
    citizen = CitizenFactory.create()

    response = signed_in(citizen.user).get(reverse("portal:cabinet"))

    assert f'href="{reverse("portal:my-home")}"' in response.text
    assert "Meter readings" not in response.text


def test_an_official_without_a_citizen_profile_sees_role_and_scope():
    official = OfficialFactory.create(role=Role.REGISTRY_CLERK)

    response = signed_in(official.user).get(reverse("portal:cabinet"))

    assert response.status_code == 200
    with translation.override("ru"):
        assert str(official.get_role_display()) in response.text
    assert official.institution.name in response.text
    assert f'href="{reverse("admin:index")}"' in response.text


def test_my_home_shows_the_apartment_building_and_district():
    building = BuildingFactory.create(year_built=1968, floors=12)
    citizen = CitizenFactory.create(
        apartment=ApartmentFactory.create(building=building, number="42")
    )

    response = signed_in(citizen.user).get(reverse("portal:my-home"))

    assert response.status_code == 200
    assert f"{building.address}, кв. 42" in response.text
    assert "1968" in response.text
    assert "<dd>12</dd>" in response.text
    assert building.district.name in response.text
    assert building.district.okrug.name in response.text


def test_my_home_gives_the_map_the_boundary_and_the_building():
    citizen = CitizenFactory.create()
    building = citizen.apartment.building

    response = signed_in(citizen.user).get(reverse("portal:my-home"))

    found = re.search(
        r'<script id="home-map-data" type="application/json">(.*?)</script>', response.text
    )
    assert found is not None
    data = json.loads(found.group(1))
    assert data["boundary"] == building.district.boundary
    assert data["building"]["lat"] == building.lat
    assert "vendor/leaflet/dist/leaflet.js" in response.text


def test_my_home_without_an_address_says_so():
    citizen = CitizenFactory.create(apartment=None)

    response = signed_in(citizen.user).get(reverse("portal:my-home"))

    assert response.status_code == 200
    assert "пока нет адреса" in response.text
    assert "leaflet.js" not in response.text


def test_switching_the_language_sets_the_cookie_and_the_next_page_is_english():
    citizen = CitizenFactory.create(first_name="Анна")
    client = signed_in(citizen.user)

    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("portal:cabinet")}
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    page = client.get(response["Location"])
    assert '<html lang="en">' in page.text
    assert "Hello, Анна!" in page.text


def test_an_unknown_address_gets_the_not_found_page_in_russian(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Страница не найдена" in response.text
    assert f'href="{reverse("portal:home")}"' in response.text


def test_the_not_found_page_follows_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.text


def test_a_server_error_gets_the_error_page_without_a_request_context(rf):
    handler = _error_handler(500)

    with translation.override("ru"):
        response = handler(rf.get("/"))

    assert response.status_code == 500
    assert "Что-то пошло не так" in response.content.decode()


def test_a_refusal_gets_the_access_denied_page(rf):
    handler = _error_handler(403)
    request = rf.get("/")
    request.user = UserFactory.create()

    with translation.override("ru"):
        response = handler(request, exception=PermissionError("no"))

    assert response.status_code == 403
    assert "Доступ запрещён" in response.content.decode()


def _error_handler(status: int):
    return get_resolver().resolve_error_handler(status)
