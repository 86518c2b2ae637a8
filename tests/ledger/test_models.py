"""The log's invariants hold in the database itself, whatever code writes to it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gorod.ledger.models import LogEntry, LogNode, LogState, SignedTreeHead

pytestmark = pytest.mark.django_db

HASH = bytes(32)


def _refused(create: object) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()  # type: ignore[operator]


def test_an_entry_index_is_used_once() -> None:
    LogEntry.objects.create(index=0, leaf_hash=HASH, kind="test.leaf", created_at=timezone.now())
    _refused(
        lambda: LogEntry.objects.create(
            index=0, leaf_hash=HASH, kind="test.leaf", created_at=timezone.now()
        )
    )


def test_an_entry_leaf_hash_has_32_bytes() -> None:
    _refused(
        lambda: LogEntry.objects.create(
            index=0, leaf_hash=bytes(31), kind="test.leaf", created_at=timezone.now()
        )
    )


def test_an_entry_kind_is_dotted_lower_case_words() -> None:
    _refused(
        lambda: LogEntry.objects.create(
            index=0, leaf_hash=HASH, kind="Not a kind", created_at=timezone.now()
        )
    )


def test_a_node_address_is_stored_once() -> None:
    LogNode.objects.create(level=1, index=4, hash=HASH)
    _refused(lambda: LogNode.objects.create(level=1, index=4, hash=HASH))


def test_the_log_state_is_a_single_row() -> None:
    LogState.objects.create(id=1, size=0, root=HASH)
    _refused(lambda: LogState.objects.create(id=2, size=0, root=HASH))


def test_a_tree_size_is_signed_once() -> None:
    head = {"timestamp_ms": 1, "root_hash": HASH, "signature": bytes(64), "key_id": "a" * 64}
    SignedTreeHead.objects.create(tree_size=3, **head)
    _refused(lambda: SignedTreeHead.objects.create(tree_size=3, **head))


def test_a_head_signature_has_64_bytes() -> None:
    _refused(
        lambda: SignedTreeHead.objects.create(
            tree_size=3, timestamp_ms=1, root_hash=HASH, signature=bytes(63), key_id="a" * 64
        )
    )
