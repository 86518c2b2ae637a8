"""The transparency log's public API, the signed-in citizen's access history, receipt checks.

Hashes, keys and signatures are lower-case hex; times are UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Body, Field, Path, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import BeforeValidator

from gorod.errors import NotFound
from gorod.ledger import keys, selectors
from gorod.ledger.actions import action_label
from gorod.ledger.heads import PREFIX, key_id, raw_public_key
from gorod.ledger.models import AuditEvent, SignedTreeHead
from gorod.people.selectors import citizen_for_user
from gorod.schemas import Pages

router = Router(tags=["ledger"])

MAX_INDEX = 2**63 - 1
MESSAGE_FORMAT = (
    f"{PREFIX.decode()} || uint64be(tree_size) || uint64be(timestamp_ms) || root_hash[32]"
)


class PublicKeyOut(Schema):
    algorithm: str = "Ed25519"
    key_id: str
    public_key: str = Field(description="the raw 32-byte public key, hex")
    pem: str
    signed_message: str = MESSAGE_FORMAT


class HeadOut(Schema):
    tree_size: int
    timestamp: int = Field(description="milliseconds since 1970-01-01 UTC")
    time: dt.datetime
    root_hash: str
    signature: str
    key_id: str


class HeadResponse(Schema):
    head: HeadOut
    public_key: PublicKeyOut


class EntryOut(Schema):
    index: int
    leaf_hash: str
    kind: str
    created_at: dt.datetime
    signed: bool = Field(description="whether the latest signed tree head covers this entry")


class InclusionQuery(Schema):
    index: int = Field(ge=0, le=MAX_INDEX)
    tree_size: int | None = Field(None, ge=1, le=MAX_INDEX)


class InclusionOut(Schema):
    index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    audit_path: list[str]


class ConsistencyQuery(Schema):
    first: int = Field(ge=1, le=MAX_INDEX)
    second: int = Field(ge=1, le=MAX_INDEX)


class ConsistencyOut(Schema):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


class AccessOut(Schema):
    time: dt.datetime = Field(alias="created_at")
    actor_name: str
    actor_role: str
    actor_role_label: str
    institution: str = Field(alias="actor_institution_name")
    subject_id: int | None
    subject_name: str
    action: str
    action_label: str
    purpose: str
    log_index: int = Field(alias="log_entry_id")
    proof_url: str

    @staticmethod
    def resolve_actor_role_label(obj: AuditEvent) -> str:
        return str(obj.get_actor_role_display())

    @staticmethod
    def resolve_subject_name(obj: AuditEvent) -> str:
        return obj.subject.full_name if obj.subject else ""

    @staticmethod
    def resolve_action_label(obj: AuditEvent) -> str:
        return action_label(obj.action)

    @staticmethod
    def resolve_proof_url(obj: AuditEvent) -> str:
        return reverse("ledger:entry", args=[obj.log_entry_id])


HASH_HEX = r"^[0-9a-f]{64}$"


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a whole number, not true or false")  # noqa: TRY004  (pydantic wants ValueError)
    return value


# JSON numbers: 12 and 12.0 are the same count; true is not a count.
Count = Annotated[int, BeforeValidator(_not_bool)]


class TreeHeadIn(Schema):
    tree_size: Count = Field(ge=1, le=MAX_INDEX)
    timestamp: Count = Field(ge=0, le=MAX_INDEX)
    root_hash: str = Field(pattern=HASH_HEX)
    signature: str = Field(pattern=r"^[0-9a-f]{128}$")
    key_id: str = Field(pattern=HASH_HEX)


class ReceiptIn(Schema):
    version: Literal[1]
    index: Count = Field(ge=0, le=MAX_INDEX)
    leaf_hash: str = Field(pattern=HASH_HEX)
    statement: dict[str, Any]
    secret: str = Field(pattern=r"^(?:[0-9a-f]{2}){16,512}$")
    tree_head: TreeHeadIn | None = None


class ReceiptCheckOut(Schema):
    status: str = Field(description="verified, pending (not yet under a signed head) or failed")
    verified: bool
    reason: str
    index: int
    tree_size: int | None


def _public_key_out() -> PublicKeyOut:
    key = keys.public_key()
    return PublicKeyOut(
        key_id=key_id(key), public_key=raw_public_key(key).hex(), pem=keys.public_key_pem(key)
    )


def _head_out(head: SignedTreeHead) -> HeadOut:
    return HeadOut(
        tree_size=head.tree_size,
        timestamp=head.timestamp_ms,
        time=head.timestamp,
        root_hash=bytes(head.root_hash).hex(),
        signature=bytes(head.signature).hex(),
        key_id=head.key_id,
    )


@router.get(
    "/head",
    url_name="ledger_head",
    response=HeadResponse,
    auth=None,
    summary="The latest signed tree head",
)
def head(request: HttpRequest) -> HeadResponse:
    latest = selectors.head_latest()
    if latest is None:
        raise NotFound(_("The log has no signed tree head yet."))
    return HeadResponse(head=_head_out(latest), public_key=_public_key_out())


@router.get(
    "/public-key",
    url_name="ledger_public_key",
    response=PublicKeyOut,
    auth=None,
    summary="The log's signing key",
)
def public_key(request: HttpRequest) -> PublicKeyOut:
    return _public_key_out()


@router.get(
    "/entries/{index}",
    url_name="ledger_entry",
    response=EntryOut,
    auth=None,
    summary="One log entry",
)
def entry(request: HttpRequest, index: Path[int]) -> EntryOut:
    found = selectors.entry_get(index=index)
    latest = selectors.head_latest()
    return EntryOut(
        index=found.index,
        leaf_hash=bytes(found.leaf_hash).hex(),
        kind=found.kind,
        created_at=found.created_at,
        signed=latest is not None and found.index < latest.tree_size,
    )


@router.get(
    "/proofs/inclusion",
    url_name="ledger_inclusion_proof",
    response=InclusionOut,
    auth=None,
    summary="An entry's inclusion proof",
)
def inclusion(request: HttpRequest, query: Query[InclusionQuery]) -> InclusionOut:
    proof = selectors.inclusion_proof_get(index=query.index, tree_size=query.tree_size)
    return InclusionOut(
        index=proof.index,
        tree_size=proof.tree_size,
        leaf_hash=proof.leaf_hash.hex(),
        root_hash=proof.root_hash.hex(),
        audit_path=[node.hex() for node in proof.path],
    )


@router.get(
    "/proofs/consistency",
    url_name="ledger_consistency_proof",
    response=ConsistencyOut,
    auth=None,
    summary="A consistency proof between two tree sizes",
)
def consistency(request: HttpRequest, query: Query[ConsistencyQuery]) -> ConsistencyOut:
    proof = selectors.consistency_proof_get(first=query.first, second=query.second)
    return ConsistencyOut(
        first=proof.first,
        second=proof.second,
        first_root=proof.first_root.hex(),
        second_root=proof.second_root.hex(),
        proof=[node.hex() for node in proof.path],
    )


@router.get(
    "/my-access",
    url_name="ledger_my_access",
    response=list[AccessOut],
    summary="Who accessed my data (and my children's)",
)
@paginate(Pages)
def my_access(request: HttpRequest) -> QuerySet[AuditEvent]:
    citizen = citizen_for_user(request.user)
    if citizen is None:
        raise PermissionDenied(_("This account has no resident's profile."))
    return selectors.accesses_to(citizen=citizen)


@router.post(
    "/receipts/verify",
    url_name="ledger_receipt_verify",
    response=ReceiptCheckOut,
    auth=None,
    summary="Verify a citizen's receipt",
)
def receipt_verify(request: HttpRequest, payload: Body[ReceiptIn]) -> ReceiptCheckOut:
    check = selectors.receipt_verify(receipt=payload.model_dump())
    return ReceiptCheckOut(
        status=check.status,
        verified=check.verified,
        reason=check.reason,
        index=check.index,
        tree_size=check.tree_size,
    )
