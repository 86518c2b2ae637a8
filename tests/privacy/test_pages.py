"""The privacy pages in both languages: consents, the export, the open-data releases."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from gorod.people.models import Citizen
from gorod.privacy.models import Consent, Release
from gorod.privacy.services import consent_give, release_publish
from tests.people.factories import CitizenFactory, child_of
from tests.places.factories import DistrictFactory

pytestmark = pytest.mark.django_db


def _as(client: Client, citizen: Citizen, language: str = "ru") -> Client:
    assert citizen.user is not None
    client.force_login(citizen.user)
    client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize(("language", "heading"), [("ru", "Мои согласия"), ("en", "My consents")])
def test_the_consents_page_speaks_both_languages(
    client: Client, language: str, heading: str
) -> None:
    response = _as(client, CitizenFactory.create(), language).get(reverse("privacy:consents"))
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_the_consents_page_has_a_section_for_each_child(client: Client) -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    content = _as(client, parent).get(reverse("privacy:consents")).content.decode()
    assert child.full_name in content


def test_giving_consent_on_the_page_records_it_and_says_so(client: Client) -> None:
    citizen = CitizenFactory.create()
    response = _as(client, citizen).post(
        reverse("privacy:consents"),
        {"action": "give", "citizen_id": citizen.pk, "purpose": "research.health", "version": 1},
        follow=True,
    )
    assert Consent.objects.filter(citizen=citizen, withdrawn_at__isnull=True).count() == 1
    assert "Согласие дано" in response.content.decode()


def test_withdrawing_consent_on_the_page_ends_it(client: Client) -> None:
    citizen = CitizenFactory.create()
    consent_give(citizen=citizen, purpose="research.health", version=1)
    _as(client, citizen).post(
        reverse("privacy:consents"),
        {"action": "withdraw", "citizen_id": citizen.pk, "purpose": "research.health"},
    )
    assert not Consent.objects.filter(citizen=citizen, withdrawn_at__isnull=True).exists()


def test_a_refused_action_shows_its_reason_and_changes_nothing(client: Client) -> None:
    citizen = CitizenFactory.create()
    response = _as(client, citizen).post(
        reverse("privacy:consents"),
        {"action": "withdraw", "citizen_id": citizen.pk, "purpose": "research.health"},
        follow=True,
    )
    assert "Нет согласия, которое можно отозвать" in response.content.decode()
    assert not Consent.objects.exists()


def test_acting_for_a_stranger_is_refused_on_the_page(client: Client) -> None:
    stranger = CitizenFactory.create()
    _as(client, CitizenFactory.create()).post(
        reverse("privacy:consents"),
        {"action": "give", "citizen_id": stranger.pk, "purpose": "research.health", "version": 1},
    )
    assert not Consent.objects.exists()


def test_the_consents_page_asks_to_sign_in(client: Client) -> None:
    response = client.get(reverse("privacy:consents"))
    assert response.status_code == 302
    assert reverse("people:sign-in") in response["Location"]


def test_the_export_page_offers_the_download(client: Client) -> None:
    content = (
        _as(client, CitizenFactory.create()).get(reverse("privacy:export-page")).content.decode()
    )
    assert f'action="{reverse("privacy:export")}"' in content
    assert "people.profile.json" in content


def test_the_export_button_downloads_the_archive(client: Client) -> None:
    response = _as(client, CitizenFactory.create()).post(reverse("privacy:export"))
    assert response["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.getvalue()))
    assert "manifest.json" in archive.namelist()


def test_the_export_is_not_a_get_link(client: Client) -> None:
    assert _as(client, CitizenFactory.create()).get(reverse("privacy:export")).status_code == 405


@pytest.fixture
def release() -> Release:
    DistrictFactory.create_batch(2)
    return release_publish(dataset="household_size_by_district", epsilon=Decimal("0.5"))


@pytest.mark.parametrize(("language", "heading"), [("ru", "Открытые данные"), ("en", "Open data")])
def test_the_releases_page_is_public_in_both_languages(
    client: Client, release: Release, language: str, heading: str
) -> None:
    client.cookies["django_language"] = language
    content = client.get(reverse("privacy:releases")).content.decode()
    assert f"<h1>{heading}</h1>" in content
    assert reverse("privacy:release", args=[release.pk]) in content


def test_a_release_page_shows_its_table_and_accuracy(client: Client, release: Release) -> None:
    client.cookies["django_language"] = "en"
    content = client.get(reverse("privacy:release", args=[release.pk])).content.decode()
    assert "Mean household size" in content
    assert "at 95% confidence" in content
    assert release.table["rows"][0][1] in content


def test_a_release_downloads_as_csv(client: Client, release: Release) -> None:
    response = client.get(reverse("privacy:release-csv", args=[release.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == release.table["columns"]
    assert len(rows) == 3


def test_a_release_downloads_as_json(client: Client, release: Release) -> None:
    response = client.get(reverse("privacy:release-json", args=[release.pk]))
    body = json.loads(response.content)
    assert body["id"] == release.pk
    assert body["rows"] == release.table["rows"]


def test_an_unknown_release_page_is_404(client: Client) -> None:
    assert client.get(reverse("privacy:release", args=[999999])).status_code == 404
