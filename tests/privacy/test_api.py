"""``/api/v1/privacy/``: consents, the export download, public releases, one error shape."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from gorod.ledger.services import tree_head_sign
from gorod.people.models import Citizen
from gorod.privacy.services import release_publish
from tests.people.factories import CitizenFactory, UserFactory, child_of
from tests.places.factories import DistrictFactory
from tests.privacy.factories import ledger_key_throwaway

pytestmark = pytest.mark.django_db

BASE = "/api/v1/privacy"


def _signed_in(client: Client, citizen: Citizen) -> Client:
    assert citizen.user is not None
    client.force_login(citizen.user)
    return client


def test_the_consents_list_shows_every_purpose_with_its_current_text(client: Client) -> None:
    citizen = CitizenFactory.create()
    body = _signed_in(client, citizen).get(f"{BASE}/consents").json()
    assert body["citizen_id"] == citizen.pk
    assert {p["purpose"] for p in body["purposes"]} == {
        "analytics.pseudonymised",
        "notifications.email",
        "research.health",
    }
    assert all(p["current_version"] == 1 and not p["given"] for p in body["purposes"])


def test_giving_consent_by_api_answers_201_and_shows_in_the_list(client: Client) -> None:
    citizen = CitizenFactory.create()
    _signed_in(client, citizen)
    response = client.post(
        f"{BASE}/consents",
        {"purpose": "research.health", "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["purpose"] == "research.health"
    purposes = {p["purpose"]: p for p in client.get(f"{BASE}/consents").json()["purposes"]}
    assert purposes["research.health"]["given"] is True


def test_giving_the_same_consent_twice_answers_409_in_the_error_shape(client: Client) -> None:
    citizen = CitizenFactory.create()
    _signed_in(client, citizen)
    payload = {"purpose": "research.health", "version": 1}
    client.post(f"{BASE}/consents", payload, content_type="application/json")
    response = client.post(f"{BASE}/consents", payload, content_type="application/json")
    assert response.status_code == 409
    assert response.json()["field"] == "purpose"
    assert set(response.json()) == {"message", "field", "extra"}


def test_giving_consent_by_api_answers_with_a_receipt_that_verifies(
    client: Client, settings: Any
) -> None:
    ledger_key_throwaway(settings)
    _signed_in(client, CitizenFactory.create())
    given = client.post(
        f"{BASE}/consents",
        {"purpose": "research.health", "version": 1},
        content_type="application/json",
    ).json()
    tree_head_sign()
    check = client.post(
        "/api/v1/ledger/receipts/verify", given["receipt"], content_type="application/json"
    )
    assert check.json()["status"] == "verified"


def test_withdrawing_consent_by_api_answers_with_the_withdrawals_receipt(client: Client) -> None:
    _signed_in(client, CitizenFactory.create())
    client.post(
        f"{BASE}/consents",
        {"purpose": "research.health", "version": 1},
        content_type="application/json",
    )
    withdrawn = client.post(
        f"{BASE}/consents/research.health/withdraw", {}, content_type="application/json"
    ).json()
    assert withdrawn["receipt"]["statement"]["action"] == "privacy.consent.withdraw"
    assert withdrawn["receipt"]["tree_head"] is None


def test_an_answer_with_a_receipt_is_never_cached(client: Client) -> None:
    _signed_in(client, CitizenFactory.create())
    response = client.post(
        f"{BASE}/consents",
        {"purpose": "research.health", "version": 1},
        content_type="application/json",
    )
    assert "no-store" in response["Cache-Control"]


def test_the_consent_answers_document_the_receipt(client: Client) -> None:
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert "receipt" in schemas["ConsentActOut"]["required"]
    assert set(schemas["ReceiptOut"]["properties"]) == {
        "version",
        "index",
        "leaf_hash",
        "statement",
        "secret",
        "tree_head",
    }


def test_a_missing_version_answers_422_naming_the_field(client: Client) -> None:
    _signed_in(client, CitizenFactory.create())
    response = client.post(
        f"{BASE}/consents", {"purpose": "research.health"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "version"


def test_a_guardian_gives_and_withdraws_consent_for_a_child(client: Client) -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    _signed_in(client, parent)
    given = client.post(
        f"{BASE}/consents",
        {"purpose": "research.health", "version": 1, "citizen_id": child.pk},
        content_type="application/json",
    )
    assert given.json()["citizen_id"] == child.pk
    withdrawn = client.post(
        f"{BASE}/consents/research.health/withdraw",
        {"citizen_id": child.pk},
        content_type="application/json",
    )
    assert withdrawn.status_code == 200
    assert withdrawn.json()["withdrawn_at"] is not None


def test_nobody_may_act_for_someone_elses_child(client: Client) -> None:
    stranger_child = child_of(CitizenFactory.create())
    _signed_in(client, CitizenFactory.create())
    response = client.get(f"{BASE}/consents", {"citizen_id": stranger_child.pk})
    assert response.status_code == 404
    assert response.json()["field"] == "citizen_id"


def test_withdrawing_a_consent_never_given_answers_409(client: Client) -> None:
    _signed_in(client, CitizenFactory.create())
    response = client.post(
        f"{BASE}/consents/research.health/withdraw", {}, content_type="application/json"
    )
    assert response.status_code == 409


def test_consents_need_a_signed_in_user(client: Client) -> None:
    assert client.get(f"{BASE}/consents").status_code == 401


def test_the_export_downloads_a_zip_attachment(client: Client) -> None:
    citizen = CitizenFactory.create()
    response = _signed_in(client, citizen).get(f"{BASE}/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    archive = zipfile.ZipFile(io.BytesIO(response.getvalue()))
    assert "self/people.profile.json" in archive.namelist()


def test_the_export_needs_a_citizen_record(client: Client) -> None:
    client.force_login(UserFactory.create())
    assert client.get(f"{BASE}/export").status_code == 403


def test_releases_are_public_with_their_epsilon_and_accuracy(client: Client) -> None:
    DistrictFactory.create()
    release = release_publish(dataset="residents_by_district", epsilon=Decimal("0.5"))
    body = client.get(f"{BASE}/releases").json()
    assert body["count"] == 1
    [item] = body["items"]
    assert item["id"] == release.pk
    assert item["epsilon"] == 0.5
    assert item["accuracy"]["residents"]["confidence"] == 0.95


def test_a_release_is_served_with_its_table(client: Client) -> None:
    DistrictFactory.create_batch(2)
    release = release_publish(dataset="residents_by_district", epsilon=Decimal("0.5"))
    body = client.get(f"{BASE}/releases/{release.pk}").json()
    assert body["columns"] == ["okato", "district", "residents"]
    assert len(body["rows"]) == 2
    assert body["parameters"]["unit_of_privacy"]


def test_an_unknown_release_answers_404(client: Client) -> None:
    response = client.get(f"{BASE}/releases/999999")
    assert response.status_code == 404
    assert response.json()["message"]


def test_budgets_are_public(client: Client) -> None:
    DistrictFactory.create()
    release_publish(dataset="residents_by_district", epsilon=Decimal("0.5"))
    budgets = {b["dataset"]: b for b in client.get(f"{BASE}/budgets").json()}
    assert budgets["residents_by_district"]["spent_epsilon"] == 0.5
    assert budgets["household_size_by_district"]["spent_epsilon"] == 0
