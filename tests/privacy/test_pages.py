"""The privacy pages in both languages: consents, the export, the open-data releases."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from gorod.ledger.models import AuditEvent
from gorod.ledger.selectors import ReceiptStatus, receipt_verify
from gorod.ledger.services import tree_head_sign
from gorod.people.models import Citizen
from gorod.privacy.models import Consent, Release
from gorod.privacy.services import consent_give, release_publish
from tests.people.factories import CitizenFactory, child_of
from tests.places.factories import DistrictFactory
from tests.privacy.factories import ledger_key_throwaway

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

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


def _give_on_the_page(
    client: Client, citizen: Citizen, language: str = "ru"
) -> _MonkeyPatchedWSGIResponse:
    return _as(client, citizen, language).post(
        reverse("privacy:consents"),
        {"action": "give", "citizen_id": citizen.pk, "purpose": "research.health", "version": 1},
    )


def _shown_receipt(response: _MonkeyPatchedWSGIResponse) -> dict[str, Any]:
    found = re.search(
        r'<textarea id="receipt-json"[^>]*>(.*?)</textarea>', response.content.decode(), re.S
    )
    assert found is not None
    receipt: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return receipt


@pytest.mark.parametrize(
    ("language", "heading", "advice"),
    [
        ("ru", "Ваша квитанция", "только вы сможете позже доказать"),
        ("en", "Your receipt", "you alone can prove later"),
    ],
)
def test_the_receipt_is_shown_after_giving_consent(
    client: Client, language: str, heading: str, advice: str
) -> None:
    content = _give_on_the_page(client, CitizenFactory.create(), language).content.decode()
    assert f'<h2 id="receipt-heading">{heading}</h2>' in content
    assert advice in content


def test_the_shown_receipt_verifies_once_a_head_is_signed(client: Client, settings: Any) -> None:
    ledger_key_throwaway(settings)
    receipt = _shown_receipt(_give_on_the_page(client, CitizenFactory.create()))
    assert receipt_verify(receipt=receipt).status is ReceiptStatus.PENDING
    tree_head_sign()
    assert receipt_verify(receipt=receipt).status is ReceiptStatus.VERIFIED


def test_the_receipt_downloads_as_the_same_json(client: Client) -> None:
    response = _give_on_the_page(client, CitizenFactory.create())
    receipt = _shown_receipt(response)
    link = re.search(
        r'href="data:application/json;charset=utf-8,([^"]*)" download="([^"]*)"',
        response.content.decode(),
    )
    assert link is not None
    assert json.loads(unquote(html.unescape(link.group(1)))) == receipt
    assert link.group(2) == f"gorod-receipt-{receipt['index']}.json"


def test_the_receipt_links_to_the_receipt_check(client: Client) -> None:
    content = _give_on_the_page(client, CitizenFactory.create()).content.decode()
    assert f'href="{reverse("ledger:receipt-verify")}"' in content


def test_withdrawing_on_the_page_shows_the_withdrawals_receipt(client: Client) -> None:
    citizen = CitizenFactory.create()
    consent_give(citizen=citizen, purpose="research.health", version=1)
    response = _as(client, citizen).post(
        reverse("privacy:consents"),
        {"action": "withdraw", "citizen_id": citizen.pk, "purpose": "research.health"},
    )
    assert _shown_receipt(response)["statement"]["action"] == "privacy.consent.withdraw"


def test_the_receipt_is_shown_once(client: Client) -> None:
    citizen = CitizenFactory.create()
    _give_on_the_page(client, citizen)
    content = client.get(reverse("privacy:consents")).content.decode()
    assert "receipt-json" not in content


def test_the_page_with_a_receipt_is_never_cached(client: Client) -> None:
    response = _give_on_the_page(client, CitizenFactory.create())
    assert "no-store" in response["Cache-Control"]


def _stored_text() -> str:
    """Every row of every table, and every session decoded, as one text."""
    rows = [
        repr(row)
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy
        for row in model._default_manager.values_list()
    ]
    sessions = [repr(session.get_decoded()) for session in Session.objects.all()]
    return "\n".join(rows + sessions)


def test_the_receipt_secret_is_stored_nowhere_in_the_database(client: Client) -> None:
    secret = _shown_receipt(_give_on_the_page(client, CitizenFactory.create()))["secret"]
    stored = _stored_text()
    assert secret not in stored
    assert repr(bytes.fromhex(secret)) not in stored
    assert not AuditEvent.objects.filter(nonce=bytes.fromhex(secret)).exists()


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
