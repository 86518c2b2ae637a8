"""Appends, audit events and signed heads."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from gorod.errors import ApplicationError
from gorod.ledger import keys, merkle, services
from gorod.ledger.commitments import commitment
from gorod.ledger.heads import head_signature_valid, key_id
from gorod.ledger.models import AuditEvent, LogEntry, LogNode, LogState, SignedTreeHead
from gorod.people.models import Role
from tests.ledger.factories import leaf_data, log_filled, official_read, vote_recorded
from tests.people.factories import CitizenFactory, OfficialFactory, city_official

pytestmark = pytest.mark.django_db


def _state() -> LogState:
    return LogState.objects.get()


def test_appends_get_consecutive_indexes_from_zero() -> None:
    assert services.log_append(leaves=leaf_data(3)) == [0, 1, 2]
    assert services.log_append(leaves=leaf_data(2, start=3)) == [3, 4]
    assert list(LogEntry.objects.values_list("index", flat=True)) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("batch", [1, 2, 3, 5, 16, 100])
def test_the_root_is_the_rfc_root_whatever_the_batches(batch: int) -> None:
    hashes = log_filled(37, batch=batch)
    state = _state()
    assert state.size == 37
    assert bytes(state.root) == merkle.root_hash(hashes)


def test_every_perfect_subtree_is_stored_and_nothing_else() -> None:
    hashes = log_filled(13, batch=4)
    expected = {
        (level, index): node
        for level, index, node in merkle.nodes_completed_by_appends(0, hashes, lambda *_: b"")
    }
    stored = {(node.level, node.index): bytes(node.hash) for node in LogNode.objects.all()}
    assert stored == expected


def test_an_entry_holds_the_leaf_hash_of_its_data_not_the_data() -> None:
    services.log_append(leaves=[b"commitment"], kind="test.leaf")
    entry = LogEntry.objects.get()
    assert bytes(entry.leaf_hash) == merkle.leaf_hash(b"commitment")
    assert entry.kind == "test.leaf"


def test_appending_nothing_changes_nothing() -> None:
    assert services.log_append(leaves=[]) == []
    assert not LogEntry.objects.exists()


def test_a_kind_that_is_not_dotted_words_is_refused_by_name() -> None:
    with pytest.raises(ApplicationError) as caught:
        services.log_append(leaves=[b"x"], kind="Bad Kind")
    assert caught.value.field == "kind"
    assert not LogEntry.objects.exists()


def test_a_leaf_that_is_not_bytes_is_refused_by_name() -> None:
    with pytest.raises(ApplicationError) as caught:
        services.log_append(leaves=["text"])  # type: ignore[list-item]
    assert caught.value.field == "leaves"


def _roll_back() -> None:
    """The caller's failure after the write, which rolls its transaction back."""
    raise RuntimeError("the caller failed")


def test_an_append_rolled_back_with_its_caller_leaves_no_trace() -> None:
    log_filled(3)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.log_append(leaves=[b"lost"])
        _roll_back()
    assert _state().size == 3
    assert services.log_append(leaves=[b"next"]) == [3]


def test_record_writes_the_event_and_its_entry_together() -> None:
    official = OfficialFactory.create(role=Role.REGISTRY_CLERK)
    citizen = CitizenFactory.create()
    event = official_read(official, citizen)
    assert event.log_entry.index == 0
    assert event.subject == citizen
    assert AuditEvent.objects.count() == LogEntry.objects.count() == 1


def test_record_keeps_who_the_official_was_at_the_time() -> None:
    official = OfficialFactory.create(role=Role.REGISTRY_CLERK, user__display_name="Петрова Анна")
    event = official_read(official, CitizenFactory.create())
    official.institution.name = "Переименованное учреждение"
    official.institution.save()
    event.refresh_from_db()
    assert event.actor_name == "Петрова Анна"
    assert event.actor_role == Role.REGISTRY_CLERK
    assert event.actor_institution_id == official.institution_id
    assert event.actor_institution_name != "Переименованное учреждение"


def test_the_entry_commits_to_the_event_under_the_kept_key() -> None:
    event = official_read(city_official(), CitizenFactory.create())
    assert event.nonce is not None
    logged = merkle.leaf_hash(commitment(event.statement(), bytes(event.nonce)))
    assert logged == bytes(event.log_entry.leaf_hash)


def test_the_log_holds_no_personal_data_of_the_event() -> None:
    citizen = CitizenFactory.create(last_name="Уникальнова")
    event = official_read(city_official(), citizen, purpose="проверка жалобы")
    leaf = bytes(event.log_entry.leaf_hash)
    assert "Уникальнова".encode() not in leaf
    assert event.log_entry.kind == "health.record.read"


def test_a_rolled_back_act_leaves_neither_event_nor_entry() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        official_read(city_official(), CitizenFactory.create())
        _roll_back()
    assert not AuditEvent.objects.exists()
    assert not LogEntry.objects.exists()


def test_an_official_act_without_a_purpose_is_refused() -> None:
    with pytest.raises(ApplicationError) as caught:
        official_read(city_official(), CitizenFactory.create(), purpose="  ")
    assert caught.value.field == "purpose"
    assert not LogEntry.objects.exists()


def test_a_citizen_act_needs_no_purpose() -> None:
    citizen = CitizenFactory.create()
    event = services.record(
        actor=citizen.user, action="privacy.consent.give", subject=citizen, purpose=""
    )
    assert event.actor_role == ""


@pytest.mark.parametrize("action", ["read", "Health.Read", "health..read", "health.read!"])
def test_a_malformed_action_is_refused_by_name(action: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        services.record(actor=None, action=action, subject=None, purpose="x")
    assert caught.value.field == "action"


def test_a_detail_that_json_cannot_hold_is_refused_by_name() -> None:
    with pytest.raises(ApplicationError) as caught:
        services.record(
            actor=None, action="test.act", subject=None, purpose="x", detail={"when": object()}
        )
    assert caught.value.field == "detail"
    assert not LogEntry.objects.exists()


def test_a_receipt_secret_keys_the_commitment_and_is_not_kept() -> None:
    event, secret = vote_recorded()
    assert event.nonce is None
    logged = merkle.leaf_hash(commitment(event.statement(), secret))
    assert logged == bytes(event.log_entry.leaf_hash)


def test_a_short_receipt_secret_is_refused_by_name() -> None:
    with pytest.raises(ApplicationError) as caught:
        services.record(
            actor=None, action="test.act", subject=None, purpose="", receipt_secret=b"short"
        )
    assert caught.value.field == "receipt_secret"


def test_signing_signs_the_size_and_root_with_the_published_key() -> None:
    hashes = log_filled(5)
    head, created = services.tree_head_sign()
    assert created
    assert head.tree_size == 5
    assert bytes(head.root_hash) == merkle.root_hash(hashes)
    key = keys.public_key()
    assert head.key_id == key_id(key)
    assert head_signature_valid(
        key, head.tree_size, head.timestamp_ms, bytes(head.root_hash), bytes(head.signature)
    )


def test_signing_again_without_new_entries_makes_no_new_head() -> None:
    log_filled(2)
    first, _created = services.tree_head_sign()
    again, created = services.tree_head_sign()
    assert not created
    assert again.pk == first.pk
    assert SignedTreeHead.objects.count() == 1


def test_heads_are_batched_over_many_entries() -> None:
    log_filled(10, batch=1)
    services.tree_head_sign()
    log_filled(10, batch=1)
    services.tree_head_sign()
    assert list(
        SignedTreeHead.objects.order_by("tree_size").values_list("tree_size", flat=True)
    ) == [10, 20]


def test_the_empty_log_can_be_signed() -> None:
    head, _created = services.tree_head_sign()
    assert head.tree_size == 0
    assert bytes(head.root_hash) == merkle.EMPTY_ROOT


def test_the_key_from_the_environment_setting_signs(settings: Any) -> None:
    key = Ed25519PrivateKey.generate()
    settings.LEDGER_KEY = base64.b64encode(key.private_bytes_raw()).decode()
    head, _created = services.tree_head_sign()
    assert head.key_id == key_id(key.public_key())


def test_a_key_file_is_generated_once_outside_production(settings: Any, tmp_path: Any) -> None:
    settings.LEDGER_KEY = ""
    settings.LEDGER_KEY_FILE = tmp_path / "ledger.pem"
    first = key_id(keys.public_key())
    assert key_id(keys.public_key()) == first
    assert (tmp_path / "ledger.pem").stat().st_mode & 0o777 == 0o600


def test_production_without_a_key_is_a_configuration_error(settings: Any, tmp_path: Any) -> None:
    settings.LEDGER_KEY = ""
    settings.LEDGER_KEY_FILE = tmp_path / "missing.pem"
    settings.PROFILE = "production"
    with pytest.raises(ImproperlyConfigured, match="GOROD_LEDGER_KEY"):
        services.tree_head_sign()
    assert not (tmp_path / "missing.pem").exists()


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_malformed_environment_key_is_a_configuration_error(settings: Any, value: str) -> None:
    settings.LEDGER_KEY = value
    with pytest.raises(ImproperlyConfigured, match="GOROD_LEDGER_KEY"):
        keys.signing_key()
