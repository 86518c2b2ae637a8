"""Reads of the transparency log (public) and of audit events (restricted by scope).

A proof reads the stored subtree hashes it needs in one query: the pure module names
their addresses, one ``WHERE (level, index) IN (...)`` fetches them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, NotFound
from gorod.ledger import merkle
from gorod.ledger.commitments import MIN_KEY_SIZE, canonical_json, commitment
from gorod.ledger.heads import head_signature_valid, key_id
from gorod.ledger.keys import public_key
from gorod.ledger.models import AuditEvent, LogEntry, LogNode, SignedTreeHead
from gorod.people.models import Citizen, Guardianship, Official, Role

Address = merkle.NodeAddress
# Roles that see every audit event; other officials see their own institution's.
CITY_WIDE_AUDIT_ROLES = frozenset({Role.AUDITOR, Role.CITY_ADMIN})


def _nodes_query(count: int, *, with_signed_size: bool) -> str:
    """SQL for ``count`` addresses: an array join on PostgreSQL (one text whatever the
    count), OR-ed pairs on SQLite (each pair an index lookup). With ``with_signed_size``
    each row also carries the latest signed tree size, saving a round trip."""
    quote = connection.ops.quote_name
    table, index = quote(LogNode._meta.db_table), quote("index")
    signed = ""
    if with_signed_size:
        heads = quote(SignedTreeHead._meta.db_table)
        signed = f", (SELECT MAX(tree_size) FROM {heads})"  # noqa: S608
    if connection.vendor == "postgresql":
        return (
            f"SELECT n.level, n.{index}, n.hash{signed} FROM {table} n "  # noqa: S608
            "JOIN unnest(%s::smallint[], %s::bigint[]) AS wanted(level, at) "
            f"ON n.level = wanted.level AND n.{index} = wanted.at"
        )
    condition = " OR ".join([f"(level = %s AND {index} = %s)"] * count)
    return f"SELECT level, {index}, hash{signed} FROM {table} WHERE {condition}"  # noqa: S608


def _nodes_rows(addresses: Iterable[Address], *, with_signed_size: bool) -> list[tuple[Any, ...]]:
    wanted = list(set(addresses))
    if not wanted:
        return []
    if connection.vendor == "postgresql":
        parameters: list[Any] = [[level for level, _ in wanted], [at for _, at in wanted]]
    else:
        parameters = [part for address in wanted for part in address]
    with connection.cursor() as cursor:
        cursor.execute(_nodes_query(len(wanted), with_signed_size=with_signed_size), parameters)
        return list(cursor.fetchall())


def nodes_fetch(addresses: Iterable[Address]) -> dict[Address, bytes]:
    """The stored hashes at ``addresses``, in one query.

    Plain SQL: the ORM takes longer to compile forty pairs than the query takes to run.
    """
    rows = _nodes_rows(addresses, with_signed_size=False)
    return {(level, at): bytes(node) for level, at, node in rows}


def _proof_nodes(addresses: Iterable[Address]) -> tuple[dict[Address, bytes], int]:
    """The stored hashes at ``addresses`` and the latest signed tree size, in one query."""
    rows = _nodes_rows(addresses, with_signed_size=True)
    if not rows or rows[0][3] is None:
        return {}, _signed_size()
    return {(level, at): bytes(node) for level, at, node, _signed in rows}, int(rows[0][3])


def node_getter(nodes: Mapping[Address, bytes]) -> merkle.NodeGetter:
    """``get_node(level, index)`` over fetched nodes, for the pure module's functions."""

    def get_node(level: int, index: int) -> bytes:
        return nodes[(level, index)]

    return get_node


def head_latest() -> SignedTreeHead | None:
    return SignedTreeHead.objects.order_by("-tree_size").first()


def _signed_size() -> int:
    """The latest signed tree size, by one index lookup; 404 before the first head."""
    table = connection.ops.quote_name(SignedTreeHead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(tree_size) FROM {table}")  # noqa: S608
        row = cursor.fetchone()
    if row is None or row[0] is None:
        raise NotFound(_("The log has no signed tree head yet."))
    return int(row[0])


def entry_get(*, index: int) -> LogEntry:
    entry = LogEntry.objects.filter(index=index).first() if 0 <= index < 2**63 else None
    if entry is None:
        raise NotFound(_("The log has no entry %(index)d.") % {"index": index}, field="index")
    return entry


def entries_latest(*, limit: int, before: int | None = None) -> list[LogEntry]:
    """The newest entries, newest first; only those before index ``before`` when given."""
    entries = LogEntry.objects.order_by("-index")
    if before is not None:
        entries = entries.filter(index__lt=before)
    return list(entries[:limit])


@dataclass(frozen=True)
class InclusionProof:
    index: int
    tree_size: int
    leaf_hash: bytes
    root_hash: bytes
    path: list[bytes]


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    first_root: bytes
    second_root: bytes
    path: list[bytes]


def _size_in_head(size: int, field: str, signed: int) -> None:
    if not 1 <= size <= signed:
        raise ApplicationError(
            _("%(field)s must be between 1 and the latest signed tree size, %(size)d.")
            % {"field": field, "size": signed},
            field=field,
            extra={"latest_tree_size": signed},
        )


def inclusion_proof_get(*, index: int, tree_size: int | None = None) -> InclusionProof:
    """The audit path of entry ``index`` in the tree of ``tree_size`` (the latest head's)."""
    size = _signed_size() if tree_size is None else tree_size
    if not 0 <= index < size:
        raise ApplicationError(
            _(
                "Entry %(index)d is not in the tree of size %(size)d: "
                "a signed head covers entries 0 to %(last)d."
            )
            % {"index": index, "size": size, "last": size - 1},
            field="index",
            extra={"tree_size": size},
        )
    nodes, signed = _proof_nodes(
        [
            (0, index),
            *merkle.inclusion_proof_nodes(index, size),
            *merkle.required_nodes_for_root(size),
        ]
    )
    _size_in_head(size, "tree_size", signed)
    get_node = node_getter(nodes)
    return InclusionProof(
        index=index,
        tree_size=size,
        leaf_hash=nodes[(0, index)],
        root_hash=merkle.root_from_nodes(size, get_node),
        path=merkle.inclusion_proof_from_nodes(index, size, get_node),
    )


def consistency_proof_get(*, first: int, second: int) -> ConsistencyProof:
    """The proof that the tree of size ``second`` extends the tree of size ``first``."""
    if first < 1:
        _size_in_head(first, "first", _signed_size())
    if second < first:
        raise ApplicationError(
            _("second (%(second)d) must not be smaller than first (%(first)d).")
            % {"first": first, "second": second},
            field="second",
        )
    nodes, signed = _proof_nodes(
        [
            *merkle.consistency_proof_nodes(first, second),
            *merkle.required_nodes_for_root(first),
            *merkle.required_nodes_for_root(second),
        ]
    )
    _size_in_head(first, "first", signed)
    _size_in_head(second, "second", signed)
    get_node = node_getter(nodes)
    return ConsistencyProof(
        first=first,
        second=second,
        first_root=merkle.root_from_nodes(first, get_node),
        second_root=merkle.root_from_nodes(second, get_node),
        path=merkle.consistency_proof_from_nodes(first, second, get_node),
    )


def accesses_to(*, citizen: Citizen) -> QuerySet[AuditEvent]:
    """Officials' acts on the records of ``citizen`` and of the children they act for."""
    children = Guardianship.objects.filter(guardian=citizen).values("child_id")
    return (
        AuditEvent.objects.filter(Q(subject=citizen) | Q(subject_id__in=children))
        .exclude(actor_role="")
        .select_related("subject", "log_entry")
        .order_by("-created_at", "-pk")
    )


def audit_events_for(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[AuditEvent]:
    """The audit events ``user`` may see in the back office.

    Superusers, auditors and city administrators: all. An institution's official: that
    institution's. A district's official: the district's institutions' and their own.
    """
    events = AuditEvent.objects.all()
    if not user.is_authenticated or not user.is_active:
        return events.none()
    if getattr(user, "is_superuser", False):
        return events
    official = Official.objects.filter(user_id=user.pk).first()
    if official is None:
        return events.none()
    if official.role in CITY_WIDE_AUDIT_ROLES:
        return events
    if official.institution_id is not None:
        return events.filter(actor_institution_id=official.institution_id)
    return events.filter(
        Q(actor_institution__district_id=official.district_id) | Q(actor_id=user.pk)
    )


RECEIPT_VERSION = 1


def head_as_json(head: SignedTreeHead) -> dict[str, Any]:
    return {
        "tree_size": head.tree_size,
        "timestamp": head.timestamp_ms,
        "root_hash": bytes(head.root_hash).hex(),
        "signature": bytes(head.signature).hex(),
        "key_id": head.key_id,
    }


def receipt_for(*, event: AuditEvent, secret: bytes) -> dict[str, Any]:
    """The receipt a citizen keeps for their act: it opens the act's commitment in the log.

    It names the latest signed head covering the entry if there is one yet; a receipt
    without a head is checked against the latest head when it is verified.
    """
    head = (
        SignedTreeHead.objects.filter(tree_size__gt=event.log_entry_id)
        .order_by("-tree_size")
        .first()
    )
    return {
        "version": RECEIPT_VERSION,
        "index": event.log_entry_id,
        "leaf_hash": bytes(event.log_entry.leaf_hash).hex(),
        "statement": event.statement(),
        "secret": secret.hex(),
        "tree_head": head_as_json(head) if head else None,
    }


class ReceiptStatus(StrEnum):
    VERIFIED = "verified"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True)
class ReceiptCheck:
    status: ReceiptStatus
    reason: str
    index: int
    tree_size: int | None = None

    @property
    def verified(self) -> bool:
        return self.status is ReceiptStatus.VERIFIED


@dataclass(frozen=True)
class _Receipt:
    index: int
    leaf_hash: bytes
    statement: dict[str, Any]
    secret: bytes
    head: SignedTreeHead | None


def _malformed(field: str, what: str) -> ApplicationError:
    return ApplicationError(
        _("The receipt is not valid: %(field)s must be %(what)s.") % {"field": field, "what": what},
        field=field,
    )


def _hex(value: Any, field: str, size: int | None = None, min_size: int = 1) -> bytes:
    what = _("%(size)d bytes in hex") % {"size": size} if size else _("bytes in hex")
    if not isinstance(value, str):
        raise _malformed(field, what)
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise _malformed(field, what) from None
    if (size is not None and len(raw) != size) or len(raw) < min_size:
        raise _malformed(field, what)
    return raw


def _whole(value: Any, field: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value < 2**63:
        raise _malformed(field, _("a whole number of at least %(min)d") % {"min": minimum})
    return int(value)


def _receipt_head(value: Any) -> SignedTreeHead | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _malformed("tree_head", _("an object or null"))
    key = value.get("key_id")
    if not isinstance(key, str) or len(key) != 64:
        raise _malformed("tree_head.key_id", _("64 hex digits"))
    return SignedTreeHead(
        tree_size=_whole(value.get("tree_size"), "tree_head.tree_size", 1),
        timestamp_ms=_whole(value.get("timestamp"), "tree_head.timestamp", 0),
        root_hash=_hex(value.get("root_hash"), "tree_head.root_hash", 32),
        signature=_hex(value.get("signature"), "tree_head.signature", 64),
        key_id=key,
    )


def _receipt_parse(receipt: Mapping[str, Any]) -> _Receipt:
    if receipt.get("version") != RECEIPT_VERSION:
        raise _malformed("version", str(RECEIPT_VERSION))
    statement = receipt.get("statement")
    if not isinstance(statement, dict):
        raise _malformed("statement", _("an object"))
    try:
        canonical_json(statement)
    except ValueError:
        raise _malformed("statement", _("an object of JSON values")) from None
    return _Receipt(
        index=_whole(receipt.get("index"), "index", 0),
        leaf_hash=_hex(receipt.get("leaf_hash"), "leaf_hash", 32),
        statement=statement,
        secret=_hex(receipt.get("secret"), "secret", min_size=MIN_KEY_SIZE),
        head=_receipt_head(receipt.get("tree_head")),
    )


def _receipt_head_trusted(head: SignedTreeHead) -> str | None:
    """Why the receipt's head cannot be trusted, or None when it is the log's own head."""
    key = public_key()
    if head.key_id != key_id(key):
        return _("The tree head in the receipt is signed by another key (%(key)s).") % {
            "key": head.key_id
        }
    root = bytes(head.root_hash)
    if not head_signature_valid(
        key, head.tree_size, head.timestamp_ms, root, bytes(head.signature)
    ):
        return _("The signature of the tree head in the receipt is not valid.")
    published = SignedTreeHead.objects.filter(tree_size=head.tree_size).first()
    if published is None or bytes(published.root_hash) != root:
        return _(
            "The log never published the tree head in the receipt: it has shown different "
            "histories to different people."
        )
    return None


def _receipt_entry_problem(parsed: _Receipt) -> str | None:
    """Why the receipt does not open the log's entry at its index, or None when it does."""
    if merkle.leaf_hash(commitment(parsed.statement, parsed.secret)) != parsed.leaf_hash:
        return _(
            "The statement and the secret do not give the receipt's leaf hash: "
            "the receipt has been altered."
        )
    entry = LogEntry.objects.filter(index=parsed.index).first()
    if entry is None:
        return _("The log has no entry %(index)d.") % {"index": parsed.index}
    if bytes(entry.leaf_hash) != parsed.leaf_hash:
        return _("The log's entry %(index)d holds a different hash: the act is not in the log.") % {
            "index": parsed.index
        }
    return None


def _receipt_proof_problem(
    parsed: _Receipt, head: SignedTreeHead, latest: SignedTreeHead
) -> str | None:
    """Why the entry is not proven under ``head`` and ``head`` under ``latest``, if it is not."""
    size, root = head.tree_size, bytes(head.root_hash)
    proof = inclusion_proof_get(index=parsed.index, tree_size=size)
    if not merkle.verify_inclusion(parsed.leaf_hash, parsed.index, size, proof.path, root):
        return _("The inclusion proof does not lead to the signed root.")
    if latest.tree_size > size:
        later = consistency_proof_get(first=size, second=latest.tree_size)
        if not merkle.verify_consistency(
            size, latest.tree_size, root, bytes(latest.root_hash), later.path
        ):
            return _(
                "The log's latest head does not extend the receipt's head: "
                "its history has been rewritten."
            )
    return None


def receipt_verify(*, receipt: Mapping[str, Any]) -> ReceiptCheck:
    """Whether the act in ``receipt`` is in the log under a signed head, and why not if not.

    A malformed receipt raises ApplicationError naming the field.
    """
    parsed = _receipt_parse(receipt)
    index = parsed.index
    problem = _receipt_entry_problem(parsed)
    if problem is None and parsed.head is not None:
        problem = _receipt_head_trusted(parsed.head)
    if problem is not None:
        return ReceiptCheck(ReceiptStatus.FAILED, problem, index)
    latest = head_latest()
    covering = parsed.head is not None and index < parsed.head.tree_size
    head = parsed.head if covering else latest
    if head is None or latest is None or index >= head.tree_size:
        return ReceiptCheck(
            ReceiptStatus.PENDING,
            _(
                "The act is in the log at index %(index)d, but no signed tree head covers it "
                "yet. Verify again after the next signing."
            )
            % {"index": index},
            index,
        )
    problem = _receipt_proof_problem(parsed, head, latest)
    if problem is not None:
        return ReceiptCheck(ReceiptStatus.FAILED, problem, index, head.tree_size)
    return ReceiptCheck(
        ReceiptStatus.VERIFIED,
        _(
            "The act is in the log at index %(index)d, proven against the signed tree head "
            "of size %(size)d."
        )
        % {"index": index, "size": head.tree_size},
        index,
        head.tree_size,
    )
