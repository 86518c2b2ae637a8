"""A consent act gives the citizen a receipt that proves the act is in the public log: pending
until a signed tree head covers it, verified after, failed when altered; the city keeps no
copy of its secret."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client

from gorod.ledger.models import AuditEvent
from gorod.ledger.selectors import ReceiptStatus, receipt_verify
from gorod.ledger.services import tree_head_sign
from gorod.privacy.services import consent_give, consent_withdraw
from tests.people.factories import CitizenFactory, child_of
from tests.privacy.factories import ledger_key_throwaway

pytestmark = pytest.mark.django_db

PURPOSE = "research.health"
VERIFY_URL = "/api/v1/ledger/receipts/verify"


@pytest.fixture(autouse=True)
def _throwaway_ledger_key(settings: Any) -> None:
    ledger_key_throwaway(settings)


def _given_receipt() -> dict[str, Any]:
    return consent_give(citizen=CitizenFactory.create(), purpose=PURPOSE, version=1).receipt


def test_a_receipt_is_pending_until_a_signed_head_covers_the_act() -> None:
    check = receipt_verify(receipt=_given_receipt())
    assert check.status is ReceiptStatus.PENDING


def test_a_consent_receipt_verifies_after_the_head_is_signed() -> None:
    receipt = _given_receipt()
    tree_head_sign()
    check = receipt_verify(receipt=receipt)
    assert check.status is ReceiptStatus.VERIFIED
    assert check.index == receipt["index"]


def test_a_consent_receipt_verifies_through_the_api(client: Client) -> None:
    receipt = _given_receipt()
    tree_head_sign()
    response = client.post(VERIFY_URL, receipt, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["status"] == "verified"
    assert response.json()["verified"] is True


def test_a_receipt_with_a_changed_statement_fails() -> None:
    receipt = _given_receipt()
    tree_head_sign()
    tampered = copy.deepcopy(receipt)
    tampered["statement"]["action"] = "privacy.consent.withdraw"
    check = receipt_verify(receipt=tampered)
    assert check.status is ReceiptStatus.FAILED


def test_a_receipt_with_a_changed_statement_fails_through_the_api(client: Client) -> None:
    receipt = _given_receipt()
    tree_head_sign()
    receipt["statement"]["detail"]["purpose"] = "notifications.email"
    body = client.post(VERIFY_URL, receipt, content_type="application/json").json()
    assert body["status"] == "failed"
    assert body["verified"] is False


def test_the_receipt_names_the_act_and_who_it_was_about() -> None:
    citizen = CitizenFactory.create()
    statement = consent_give(citizen=citizen, purpose=PURPOSE, version=1).receipt["statement"]
    assert statement["action"] == "privacy.consent.give"
    assert statement["subject"] == citizen.pk
    assert statement["detail"] == {"purpose": PURPOSE, "version": 1}


def test_a_receipt_is_pending_under_an_older_head_and_verified_under_the_next() -> None:
    citizen = CitizenFactory.create()
    consent_give(citizen=citizen, purpose=PURPOSE, version=1)
    tree_head_sign()
    receipt = consent_withdraw(citizen=citizen, purpose=PURPOSE).receipt
    assert receipt_verify(receipt=receipt).status is ReceiptStatus.PENDING
    tree_head_sign()
    assert receipt_verify(receipt=receipt).status is ReceiptStatus.VERIFIED


def test_a_withdrawal_receipt_verifies() -> None:
    citizen = CitizenFactory.create()
    consent_give(citizen=citizen, purpose=PURPOSE, version=1)
    act = consent_withdraw(citizen=citizen, purpose=PURPOSE)
    tree_head_sign()
    assert act.receipt["statement"]["action"] == "privacy.consent.withdraw"
    assert receipt_verify(receipt=act.receipt).status is ReceiptStatus.VERIFIED


def test_a_guardians_receipt_for_a_childs_consent_names_the_guardian_as_actor() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    receipt = consent_give(citizen=child, purpose=PURPOSE, version=1, actor=parent.user).receipt
    tree_head_sign()
    assert receipt["statement"]["actor"] == parent.user_id
    assert receipt_verify(receipt=receipt).status is ReceiptStatus.VERIFIED


def test_every_act_has_its_own_secret() -> None:
    citizen = CitizenFactory.create()
    given = consent_give(citizen=citizen, purpose=PURPOSE, version=1).receipt
    withdrawn = consent_withdraw(citizen=citizen, purpose=PURPOSE).receipt
    assert given["secret"] != withdrawn["secret"]
    assert len(bytes.fromhex(given["secret"])) == 32


def test_the_city_keeps_no_key_for_a_receipted_act() -> None:
    receipt = _given_receipt()
    event = AuditEvent.objects.get(log_entry_id=receipt["index"])
    assert event.nonce is None
    assert receipt["secret"] not in str(event.detail)
