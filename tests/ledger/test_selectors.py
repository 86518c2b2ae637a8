"""Proofs from the stored nodes, access histories, the back office's scope, receipts."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from gorod.errors import ApplicationError, NotFound
from gorod.ledger import merkle, selectors, services
from gorod.ledger.models import LogEntry, SignedTreeHead
from gorod.people.models import Role
from tests.ledger.factories import log_filled, official_read, signed_receipt, vote_recorded
from tests.people.factories import (
    CitizenFactory,
    OfficialFactory,
    UserFactory,
    child_of,
    city_official,
    district_official,
)

pytestmark = pytest.mark.django_db


def test_inclusion_proofs_are_the_rfc_proofs_at_every_index_and_size() -> None:
    hashes = log_filled(21, batch=5)
    services.tree_head_sign()
    for size in (1, 2, 7, 8, 13, 21):
        for index in range(size):
            proof = selectors.inclusion_proof_get(index=index, tree_size=size)
            assert proof.path == merkle.inclusion_proof(hashes[:size], index)
            assert proof.root_hash == merkle.root_hash(hashes[:size])
            assert proof.leaf_hash == hashes[index]


def test_an_inclusion_proof_defaults_to_the_latest_signed_head() -> None:
    hashes = log_filled(9)
    head, _created = services.tree_head_sign()
    log_filled(3)
    proof = selectors.inclusion_proof_get(index=4)
    assert proof.tree_size == 9
    assert merkle.verify_inclusion(hashes[4], 4, 9, proof.path, bytes(head.root_hash))


def test_a_proof_reads_the_nodes_in_one_query() -> None:
    log_filled(1000, batch=100)
    services.tree_head_sign()
    with CaptureQueriesContext(connection) as queries:
        selectors.inclusion_proof_get(index=517, tree_size=1000)
    node_queries = [q for q in queries.captured_queries if "ledger_lognode" in q["sql"]]
    assert len(node_queries) == 1


def test_consistency_proofs_are_the_rfc_proofs() -> None:
    hashes = log_filled(17, batch=3)
    services.tree_head_sign()
    for first in range(1, 18):
        for second in (first, 16, 17):
            if second < first:
                continue
            proof = selectors.consistency_proof_get(first=first, second=second)
            assert proof.path == merkle.consistency_proof(hashes[:second], first)
            assert merkle.verify_consistency(
                first, second, proof.first_root, proof.second_root, proof.path
            )


def test_a_leaf_beyond_the_signed_head_has_no_proof_yet() -> None:
    log_filled(4)
    services.tree_head_sign()
    log_filled(2)
    with pytest.raises(ApplicationError) as caught:
        selectors.inclusion_proof_get(index=4)
    assert caught.value.field == "index"
    assert caught.value.status == 400


def test_a_tree_size_beyond_the_signed_head_is_refused_by_name() -> None:
    log_filled(6)
    services.tree_head_sign()
    with pytest.raises(ApplicationError) as caught:
        selectors.inclusion_proof_get(index=0, tree_size=7)
    assert caught.value.field == "tree_size"


def test_a_second_size_below_the_first_is_refused_by_name() -> None:
    log_filled(6)
    services.tree_head_sign()
    with pytest.raises(ApplicationError) as caught:
        selectors.consistency_proof_get(first=5, second=3)
    assert caught.value.field == "second"


def test_no_proof_before_the_first_signed_head() -> None:
    log_filled(3)
    with pytest.raises(NotFound):
        selectors.inclusion_proof_get(index=0)


def test_access_history_lists_officials_reads_of_mine_and_my_childrens_records() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    stranger = CitizenFactory.create()
    doctor = OfficialFactory.create(role=Role.DOCTOR)
    mine = official_read(doctor, parent)
    childs = official_read(doctor, child)
    official_read(doctor, stranger)
    services.record(actor=parent.user, action="privacy.export", subject=parent, purpose="")
    assert list(selectors.accesses_to(citizen=parent)) == [childs, mine]


def test_an_institution_official_sees_only_that_institutions_audit_events() -> None:
    clerk = OfficialFactory.create(role=Role.REGISTRY_CLERK)
    other = OfficialFactory.create(role=Role.REGISTRY_CLERK)
    own = official_read(clerk, CitizenFactory.create())
    official_read(other, CitizenFactory.create())
    assert list(selectors.audit_events_for(user=clerk.user)) == [own]


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.CITY_ADMIN])
def test_auditors_and_city_admins_see_every_audit_event(role: str) -> None:
    official_read(OfficialFactory.create(), CitizenFactory.create())
    official_read(OfficialFactory.create(), CitizenFactory.create())
    assert selectors.audit_events_for(user=city_official(role=role).user).count() == 2


def test_a_district_official_sees_the_districts_institutions_events() -> None:
    clerk = OfficialFactory.create()
    analyst = district_official(role=Role.ANALYST, district=clerk.institution.district)
    event = official_read(clerk, CitizenFactory.create())
    official_read(OfficialFactory.create(), CitizenFactory.create())
    assert list(selectors.audit_events_for(user=analyst.user)) == [event]


def test_an_account_that_is_not_an_official_sees_no_audit_events() -> None:
    official_read(OfficialFactory.create(), CitizenFactory.create())
    assert not selectors.audit_events_for(user=UserFactory.create()).exists()


def test_a_receipt_verifies_once_a_signed_head_covers_it() -> None:
    log_filled(3)
    event, secret = vote_recorded()
    receipt = selectors.receipt_for(event=event, secret=secret)
    assert selectors.receipt_verify(receipt=receipt).status == "pending"
    services.tree_head_sign()
    check = selectors.receipt_verify(receipt=receipt)
    assert check.verified
    assert check.tree_size == 4


def test_a_receipt_with_its_head_verifies_after_the_log_grew() -> None:
    event, secret = vote_recorded()
    services.tree_head_sign()
    receipt = selectors.receipt_for(event=event, secret=secret)
    log_filled(5)
    services.tree_head_sign()
    check = selectors.receipt_verify(receipt=receipt)
    assert check.verified
    assert check.tree_size == 1


def test_a_receipt_with_an_altered_statement_fails() -> None:
    receipt = signed_receipt()
    receipt["statement"]["detail"]["choice"] = "A"
    with translation.override("en"):
        check = selectors.receipt_verify(receipt=receipt)
    assert check.status == "failed"
    assert "altered" in check.reason


def test_a_receipt_fails_when_the_logged_entry_was_altered() -> None:
    receipt = signed_receipt()
    LogEntry.objects.filter(index=receipt["index"]).update(leaf_hash=bytes(32))
    assert selectors.receipt_verify(receipt=receipt).status == "failed"


def test_a_receipt_with_a_forged_head_signature_fails() -> None:
    receipt = signed_receipt()
    signature = bytearray.fromhex(receipt["tree_head"]["signature"])
    signature[0] ^= 1
    receipt["tree_head"]["signature"] = signature.hex()
    with translation.override("en"):
        check = selectors.receipt_verify(receipt=receipt)
    assert check.status == "failed"
    assert "signature" in check.reason


def test_a_receipt_whose_head_the_log_never_published_fails() -> None:
    receipt = signed_receipt()
    SignedTreeHead.objects.all().delete()
    log_filled(2)
    services.tree_head_sign()
    assert selectors.receipt_verify(receipt=receipt).status == "failed"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", 2),
        ("index", -1),
        ("leaf_hash", "zz"),
        ("secret", "00"),
        ("statement", "a vote"),
        ("tree_head", "latest"),
    ],
)
def test_a_malformed_receipt_is_refused_naming_the_field(field: str, value: Any) -> None:
    receipt = signed_receipt()
    receipt[field] = value
    with pytest.raises(ApplicationError) as caught:
        selectors.receipt_verify(receipt=receipt)
    assert caught.value.field == field
