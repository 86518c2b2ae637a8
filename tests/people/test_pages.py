"""People pages through the Django test client: forms, errors next to fields, access."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from gorod.people.models import Citizen, Official, Role
from tests.people.factories import (
    PASSWORD,
    CitizenFactory,
    OfficialFactory,
    account,
    child_of,
    city_official,
)
from tests.places.factories import ApartmentFactory, InstitutionFactory

pytestmark = pytest.mark.django_db

SIGN_UP: dict[str, Any] = {
    "last_name": "Смирнова",
    "first_name": "Анна",
    "patronymic": "Викторовна",
    "birth_date": "1990-04-12",
    "snils": "112-233-445 95",
    "oms_policy": "",
    "email": "anna@example.test",
    "phone": "",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def input_tag(html: str, element_id: str) -> str:
    match = re.search(rf'<input[^>]*id="{element_id}"[^>]*>', html)
    assert match, f"no input #{element_id}"
    return match.group(0)


def test_sign_up_creates_the_citizen_and_signs_in(client: Client) -> None:
    response = client.post(reverse("people:sign-up"), SIGN_UP)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:cabinet")
    citizen = Citizen.objects.get()
    assert client.session["_auth_user_id"] == str(citizen.user_id)


def test_sign_up_with_a_wrong_snils_shows_the_russian_message_at_the_field(
    client: Client,
) -> None:
    response = client.post(reverse("people:sign-up"), {**SIGN_UP, "snils": "112-233-445 96"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "СНИЛС указан с ошибкой: не сходится контрольное число." in html
    snils_input = input_tag(html, "id_snils")
    assert 'aria-invalid="true"' in snils_input
    assert "id_snils_error" in snils_input
    assert 'id="id_snils_error"' in html
    assert not Citizen.objects.exists()


def test_sign_up_speaks_english_when_asked(client: Client) -> None:
    client.cookies["django_language"] = "en"
    response = client.post(reverse("people:sign-up"), {**SIGN_UP, "snils": "112-233-445 96"})
    assert "The SNILS is wrong: the check number does not match." in response.content.decode()


def test_sign_up_shows_every_mistake_at_once(client: Client) -> None:
    data = {**SIGN_UP, "snils": "12", "email": "", "password2": "other"}
    html = client.post(reverse("people:sign-up"), data).content.decode()
    for field in ("snils", "email", "password2"):
        assert 'aria-invalid="true"' in input_tag(html, f"id_{field}")


def test_sign_up_with_a_taken_snils_names_the_field(client: Client) -> None:
    existing = CitizenFactory.create()
    response = client.post(reverse("people:sign-up"), {**SIGN_UP, "snils": existing.snils})
    assert 'aria-invalid="true"' in input_tag(response.content.decode(), "id_snils")
    assert Citizen.objects.count() == 1


@pytest.mark.parametrize(
    "name", ["people:profile", "people:profile-edit", "people:children", "people:child-add"]
)
def test_citizen_pages_ask_to_sign_in(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("people:sign-in"))


@pytest.mark.parametrize(
    "name",
    [
        "people:sign-in",
        "people:sign-up",
    ],
)
def test_public_pages_open(client: Client, name: str) -> None:
    assert client.get(reverse(name)).status_code == 200


def test_the_profile_shows_the_snils_as_written_on_the_card(client: Client) -> None:
    citizen = CitizenFactory.create(snils="11223344595")
    client.force_login(account(citizen))
    html = client.get(reverse("people:profile")).content.decode()
    assert "112-233-445 95" in html
    assert citizen.full_name in html


def test_an_official_without_a_profile_sees_the_account_part(client: Client) -> None:
    official = OfficialFactory.create()
    client.force_login(official.user)
    response = client.get(reverse("people:profile"))
    assert response.status_code == 200
    assert reverse("people:officials") in response.content.decode()


def test_editing_the_profile_saves_the_contacts(client: Client) -> None:
    citizen = CitizenFactory.create(contact_email="me@example.test")
    client.force_login(account(citizen))
    data = {
        "last_name": citizen.last_name,
        "first_name": "Мария",
        "patronymic": citizen.patronymic,
        "oms_policy": "",
        "contact_email": "me@example.test",
        "contact_phone": "8 916 123 45 67",
        "notify_by_email": "on",
        "notify_by_sms": "on",
    }
    response = client.post(reverse("people:profile-edit"), data)
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert (citizen.contact_phone, citizen.notify_by_sms) == ("+79161234567", True)


def test_sms_without_a_phone_is_refused_at_the_phone_field(client: Client) -> None:
    citizen = CitizenFactory.create(contact_email="me@example.test")
    client.force_login(account(citizen))
    data = {
        "last_name": citizen.last_name,
        "first_name": "Мария",
        "contact_email": "me@example.test",
        "notify_by_sms": "on",
    }
    html = client.post(reverse("people:profile-edit"), data).content.decode()
    assert 'aria-invalid="true"' in input_tag(html, "id_contact_phone")


def test_the_address_is_found_by_words_and_saved_with_the_apartment(client: Client) -> None:
    citizen = CitizenFactory.create(apartment=None)
    apartment = ApartmentFactory.create(number="17")
    client.force_login(account(citizen))
    words = apartment.building.address.split(",")[-1].strip()
    found = client.get(reverse("people:address"), {"q": words})
    assert apartment.building.address in found.content.decode()
    response = client.post(
        f"{reverse('people:address')}?{urlencode({'q': words})}",
        {"building": apartment.building.pk, "number": "17"},
    )
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.apartment == apartment


def test_an_apartment_that_is_not_there_is_refused(client: Client) -> None:
    citizen = CitizenFactory.create()
    building = ApartmentFactory.create().building
    client.force_login(account(citizen))
    url = f"{reverse('people:address')}?{urlencode({'q': building.address})}"
    html = client.post(url, {"building": building.pk, "number": "999"}).content.decode()
    assert 'aria-invalid="true"' in input_tag(html, "id_number")


def test_my_children_lists_only_mine(client: Client) -> None:
    parent = CitizenFactory.create()
    mine = child_of(parent)
    other = child_of(CitizenFactory.create())
    client.force_login(account(parent))
    html = client.get(reverse("people:children")).content.decode()
    assert mine.full_name in html
    assert other.full_name not in html


def test_adding_a_child_links_them_to_me(client: Client) -> None:
    parent = CitizenFactory.create()
    client.force_login(account(parent))
    data = {
        "last_name": "Смирнов",
        "first_name": "Егор",
        "patronymic": "",
        "birth_date": (dt.date.today() - dt.timedelta(days=4 * 365)).isoformat(),  # noqa: DTZ011
        "snils": "206-130-059 00",
        "kind": "parent",
    }
    response = client.post(reverse("people:child-add"), data)
    assert response.status_code == 302
    assert parent.wards.get().child.first_name == "Егор"


def test_an_official_without_a_profile_cannot_add_children(client: Client) -> None:
    client.force_login(OfficialFactory.create().user)
    assert client.get(reverse("people:child-add")).status_code == 403


def test_a_city_administrator_creates_an_official_on_the_page(client: Client) -> None:
    client.force_login(city_official().user)
    institution = InstitutionFactory.create()
    data = {
        "email": "doctor@mos.example",
        "display_name": "Врач Иванов",
        "password": PASSWORD,
        "role": Role.DOCTOR,
        "institution": institution.pk,
        "position": "терапевт",
    }
    response = client.post(reverse("people:official-create"), data)
    assert response.status_code == 302
    assert Official.objects.get(user__email="doctor@mos.example").institution == institution


def test_a_scope_that_does_not_fit_the_role_is_shown_at_the_field(client: Client) -> None:
    client.force_login(city_official().user)
    data = {
        "email": "doctor@mos.example",
        "display_name": "Врач Иванов",
        "password": PASSWORD,
        "role": Role.DOCTOR,
    }
    response = client.post(reverse("people:official-create"), data)
    html = response.content.decode()
    select = re.search(r'<select[^>]*name="institution"[^>]*>', html)
    assert select
    assert 'aria-invalid="true"' in select.group(0)
    assert Official.objects.count() == 1


@pytest.mark.parametrize("who", ["citizen", "clerk", "auditor"])
def test_creating_officials_is_forbidden_to_everyone_else(client: Client, who: str) -> None:
    user = {
        "citizen": lambda: account(CitizenFactory.create()),
        "clerk": lambda: OfficialFactory.create().user,
        "auditor": lambda: city_official(Role.AUDITOR).user,
    }[who]()
    client.force_login(user)
    assert client.get(reverse("people:official-create")).status_code == 403


def test_the_officials_list_offers_creation_to_a_city_administrator(client: Client) -> None:
    client.force_login(city_official().user)
    html = client.get(reverse("people:officials")).content.decode()
    assert reverse("people:official-create") in html


def test_the_officials_list_is_not_for_citizens(client: Client) -> None:
    client.force_login(account(CitizenFactory.create()))
    assert client.get(reverse("people:officials")).status_code == 403
