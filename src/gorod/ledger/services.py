"""Writes to the transparency log: appends, audit events, signed tree heads.

Every append takes the one ``LogState`` row's lock (``SELECT ... FOR UPDATE`` on
PostgreSQL; on SQLite the IMMEDIATE transaction already holds the database's write lock),
so whatever the number of processes the entries get the indexes 0..n-1 in order and the
tree is the same as if they had been appended one by one.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, Conflict
from gorod.ledger import merkle
from gorod.ledger.commitments import MIN_KEY_SIZE, canonical_json, commitment
from gorod.ledger.heads import head_sign, key_id
from gorod.ledger.keys import signing_key
from gorod.ledger.models import (
    ACTION_PATTERN,
    AuditEvent,
    LogEntry,
    LogNode,
    LogState,
    SignedTreeHead,
)
from gorod.ledger.selectors import node_getter, nodes_fetch
from gorod.people.models import Citizen, Official, User

DEFAULT_KIND = "ledger.entry"
_ACTION = re.compile(ACTION_PATTERN)


def _locked_state() -> LogState:
    """The state row, locked until the transaction ends; created on first use."""
    state = LogState.objects.select_for_update().filter(pk=LogState.SINGLETON).first()
    if state is None:
        state, _created = LogState.objects.select_for_update().get_or_create(
            pk=LogState.SINGLETON, defaults={"size": 0, "root": merkle.EMPTY_ROOT}
        )
    return state


def _insert(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows by the driver's bulk path: COPY on PostgreSQL, executemany on SQLite.

    ``columns`` are field names, which are the column names in this app. The ORM's
    bulk_create spends tens of microseconds a row building instances and SQL;
    the log appends tens of thousands of rows a second.
    """
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            values = ", ".join(["%s"] * len(columns))
            # Identifiers come from the model, values are parameters.
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({values})", rows)  # noqa: S608


@transaction.atomic
def log_append(*, leaves: Sequence[bytes], kind: str = DEFAULT_KIND) -> list[int]:
    """Append ``leaves`` (the data, hashed here as RFC 9162 leaves); their indexes, in order."""
    if not _ACTION.match(kind) or len(kind) > 64:
        raise ApplicationError(_("The kind must be dotted lower-case words."), field="kind")
    if not all(isinstance(leaf, bytes) for leaf in leaves):
        raise ApplicationError(_("Every leaf must be bytes."), field="leaves")
    if not leaves:
        return []
    state = _locked_state()
    size = state.size
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves]
    known = nodes_fetch(merkle.required_nodes_for_root(size))
    completed = merkle.nodes_completed_by_appends(size, hashes, node_getter(known))
    known.update(((level, index), node) for level, index, node in completed)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    _insert(
        LogEntry,
        ("index", "leaf_hash", "kind", "created_at"),
        [(size + offset, leaf, kind, now) for offset, leaf in enumerate(hashes)],
    )
    _insert(LogNode, ("level", "index", "hash"), completed)
    state.size = size + len(hashes)
    state.root = merkle.root_from_nodes(state.size, node_getter(known))
    state.save(update_fields=["size", "root", "updated_at"])
    return list(range(size, state.size))


def _actor_snapshot(actor: User | None) -> dict[str, Any]:
    if actor is None:
        return {"actor_name": "", "actor_role": "", "actor_institution": None}
    official = Official.objects.select_related("institution").filter(user=actor).first()
    return {
        "actor_name": actor.display_name or str(actor),
        "actor_role": official.role if official else "",
        "actor_institution": official.institution if official else None,
    }


def _canonical_detail(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    if detail is None:
        return {}
    if not isinstance(detail, Mapping):
        raise ApplicationError(_("The detail must be a JSON object."), field="detail")
    try:
        normal: dict[str, Any] = json.loads(canonical_json(dict(detail)))
    except ValueError as exc:
        raise ApplicationError(
            _("The detail must hold only JSON values: %(reason)s") % {"reason": exc},
            field="detail",
        ) from exc
    return normal


@transaction.atomic
def record(
    *,
    actor: User | None,
    action: str,
    subject: Citizen | None,
    purpose: str,
    detail: Mapping[str, Any] | None = None,
    receipt_secret: bytes | None = None,
) -> AuditEvent:
    """Write the audit event of a sensitive act and its log entry, in the caller's transaction.

    With ``receipt_secret`` (at least 16 random bytes, given to the citizen in a receipt)
    the commitment is keyed by that secret and the city does not keep it; otherwise by a
    random key stored with the event for auditors.
    """
    if not _ACTION.match(action) or len(action) > 64:
        raise ApplicationError(
            _("The action must be dotted lower-case words, like health.record.read."),
            field="action",
        )
    snapshot = _actor_snapshot(actor)
    purpose = purpose.strip()
    if snapshot["actor_role"] and not purpose:
        raise ApplicationError(_("An official's act needs a purpose."), field="purpose")
    if len(purpose) > 300:
        raise ApplicationError(_("The purpose is longer than 300 characters."), field="purpose")
    if receipt_secret is not None and len(receipt_secret) < MIN_KEY_SIZE:
        raise ApplicationError(
            _("A receipt secret has at least %(size)d bytes.") % {"size": MIN_KEY_SIZE},
            field="receipt_secret",
        )
    institution = snapshot["actor_institution"]
    event = AuditEvent(
        actor=actor,
        actor_name=snapshot["actor_name"],
        actor_role=snapshot["actor_role"],
        actor_institution=institution,
        actor_institution_name=institution.name if institution else "",
        action=action,
        subject=subject,
        purpose=purpose,
        detail=_canonical_detail(detail),
        created_at=timezone.now(),
    )
    key = receipt_secret if receipt_secret is not None else secrets.token_bytes(32)
    [index] = log_append(leaves=[commitment(event.statement(), key)], kind=action)
    event.log_entry_id = index
    event.nonce = None if receipt_secret is not None else key
    event.save()
    return event


@transaction.atomic
def tree_head_sign() -> tuple[SignedTreeHead, bool]:
    """Sign the log's current size and root unless the latest head already has that size.

    Returns the head and whether it is new. The append lock is held while signing, so the
    signed root is the root of exactly the first ``tree_size`` entries.
    """
    state = _locked_state()
    latest = SignedTreeHead.objects.order_by("-tree_size").first()
    if latest is not None and latest.tree_size == state.size:
        return latest, False
    if latest is not None and latest.tree_size > state.size:
        raise Conflict(
            _("The log is smaller (%(size)d) than its latest signed head (%(head)d).")
            % {"size": state.size, "head": latest.tree_size}
        )
    key = signing_key()
    timestamp_ms = max(time.time_ns() // 1_000_000, latest.timestamp_ms if latest else 0)
    root = bytes(state.root)
    head = SignedTreeHead.objects.create(
        tree_size=state.size,
        timestamp_ms=timestamp_ms,
        root_hash=root,
        signature=head_sign(key, state.size, timestamp_ms, root),
        key_id=key_id(key.public_key()),
    )
    return head, True
