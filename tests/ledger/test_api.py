"""``/api/v1/ledger/``: public heads, entries and proofs; my access history; receipt checks."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client

from gorod.ledger import merkle, services
from gorod.ledger.heads import head_message
from tests.ledger.factories import log_filled, official_read, signed_receipt
from tests.people.factories import CitizenFactory, OfficialFactory, UserFactory, child_of

pytestmark = pytest.mark.django_db

BASE = "/api/v1/ledger"


def test_the_head_is_signed_by_the_published_key(client: Client) -> None:
    log_filled(6)
    services.tree_head_sign()
    body = client.get(f"{BASE}/head").json()
    head, key = body["head"], body["public_key"]
    assert head["tree_size"] == 6
    message = head_message(head["tree_size"], head["timestamp"], bytes.fromhex(head["root_hash"]))
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(key["public_key"]))
    public.verify(bytes.fromhex(head["signature"]), message)
    assert head["key_id"] == key["key_id"]


def test_the_head_before_any_signing_is_404_in_the_error_shape(client: Client) -> None:
    response = client.get(f"{BASE}/head")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "field", "extra"}


def test_the_public_key_is_published_with_its_id_and_pem(client: Client) -> None:
    body = client.get(f"{BASE}/public-key").json()
    assert body["algorithm"] == "Ed25519"
    assert len(body["key_id"]) == 64
    assert body["pem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_an_entry_is_served_with_its_hash_and_whether_it_is_signed(client: Client) -> None:
    hashes = log_filled(3)
    services.tree_head_sign()
    log_filled(1)
    signed = client.get(f"{BASE}/entries/2").json()
    assert signed["leaf_hash"] == hashes[2].hex()
    assert signed["signed"] is True
    assert client.get(f"{BASE}/entries/3").json()["signed"] is False


def test_a_missing_entry_is_404_naming_the_index(client: Client) -> None:
    response = client.get(f"{BASE}/entries/5")
    assert response.status_code == 404
    assert response.json()["field"] == "index"


def test_an_inclusion_proof_verifies_against_the_head(client: Client) -> None:
    hashes = log_filled(11)
    services.tree_head_sign()
    head = client.get(f"{BASE}/head").json()["head"]
    proof = client.get(f"{BASE}/proofs/inclusion", {"index": 6}).json()
    assert proof["tree_size"] == 11
    assert merkle.verify_inclusion(
        hashes[6],
        6,
        11,
        [bytes.fromhex(node) for node in proof["audit_path"]],
        bytes.fromhex(head["root_hash"]),
    )


def test_an_inclusion_proof_beyond_the_head_is_400_naming_the_index(client: Client) -> None:
    log_filled(4)
    services.tree_head_sign()
    response = client.get(f"{BASE}/proofs/inclusion", {"index": 4})
    assert response.status_code == 400
    assert response.json()["field"] == "index"


def test_a_non_numeric_index_is_422_naming_it(client: Client) -> None:
    response = client.get(f"{BASE}/proofs/inclusion", {"index": "first"})
    assert response.status_code == 422
    assert response.json()["field"] == "index"


def test_a_consistency_proof_verifies_between_two_heads(client: Client) -> None:
    log_filled(5)
    first, _created = services.tree_head_sign()
    log_filled(9)
    second, _created = services.tree_head_sign()
    proof = client.get(f"{BASE}/proofs/consistency", {"first": 5, "second": 14}).json()
    assert merkle.verify_consistency(
        5,
        14,
        bytes(first.root_hash),
        bytes(second.root_hash),
        [bytes.fromhex(node) for node in proof["proof"]],
    )


def test_a_second_size_below_the_first_is_400_naming_second(client: Client) -> None:
    log_filled(5)
    services.tree_head_sign()
    response = client.get(f"{BASE}/proofs/consistency", {"first": 4, "second": 2})
    assert response.status_code == 400
    assert response.json()["field"] == "second"


def test_my_access_needs_a_signed_in_account(client: Client) -> None:
    assert client.get(f"{BASE}/my-access").status_code == 401


def test_my_access_is_refused_to_an_account_without_a_resident_profile(client: Client) -> None:
    client.force_login(UserFactory.create())
    assert client.get(f"{BASE}/my-access").status_code == 403


def test_my_access_lists_who_read_my_and_my_childs_records_and_why(client: Client) -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    doctor = OfficialFactory.create(role="doctor", user__display_name="Врач Сидоров")
    official_read(doctor, parent, purpose="приём 3 марта")
    official_read(doctor, child, purpose="прививка")
    official_read(doctor, CitizenFactory.create(), purpose="чужой приём")
    assert parent.user is not None
    client.force_login(parent.user)
    body = client.get(f"{BASE}/my-access").json()
    assert body["count"] == 2
    rows = body["items"]
    assert [row["purpose"] for row in rows] == ["прививка", "приём 3 марта"]
    assert rows[0]["subject_id"] == child.pk
    assert rows[0]["actor_name"] == "Врач Сидоров"
    assert rows[0]["institution"] == doctor.institution.name
    assert rows[0]["proof_url"] == f"/log/entries/{rows[0]['log_index']}/"


def test_a_receipt_is_verified_by_anyone(client: Client) -> None:
    receipt = signed_receipt()
    response = client.post(f"{BASE}/receipts/verify", receipt, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["verified"] is True


def test_a_malformed_receipt_is_422_naming_the_field(client: Client) -> None:
    response = client.post(
        f"{BASE}/receipts/verify",
        {"version": 1, "index": 0, "leaf_hash": "xyz", "statement": {}, "secret": "00" * 32},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "leaf_hash"
