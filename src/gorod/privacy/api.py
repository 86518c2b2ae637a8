"""``/api/v1/privacy/``: consents, the personal-data export, open-data releases."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate
from ninja.responses import Status
from pydantic import AfterValidator, WithJsonSchema

from gorod.people.auth import request_user
from gorod.people.models import Citizen
from gorod.privacy import selectors, services
from gorod.privacy.datasets import DATASETS
from gorod.privacy.downloads import export_response
from gorod.privacy.models import Consent, PrivacyBudget, Release
from gorod.privacy.purposes import PURPOSES
from gorod.privacy.schemas import ReleaseOut, ReleaseSummaryOut
from gorod.schemas import Key, errors

router = Router(tags=["privacy"])


class ConsentOut(Schema):
    id: int
    citizen_id: int
    purpose: str
    purpose_label: str
    version: int
    given_at: dt.datetime
    given_by: str | None
    withdrawn_at: dt.datetime | None

    @staticmethod
    def from_model(consent: Consent) -> ConsentOut:
        return ConsentOut(
            id=consent.pk,
            citizen_id=consent.citizen_id,
            purpose=consent.purpose,
            purpose_label=consent.text.purpose_label,
            version=consent.text.version,
            given_at=consent.given_at,
            given_by=str(consent.given_by) if consent.given_by else None,
            withdrawn_at=consent.withdrawn_at,
        )


class ReceiptHeadOut(Schema):
    tree_size: int
    timestamp: int = Field(description="milliseconds since 1970-01-01 UTC")
    root_hash: str
    signature: str
    key_id: str


class ReceiptOut(Schema):
    """The citizen's receipt of their act, as ``POST /api/v1/ledger/receipts/verify`` takes it."""

    version: int
    index: int = Field(description="the act's entry in the transparency log")
    leaf_hash: str
    statement: dict[str, Any] = Field(description="the act, as the log entry commits to it")
    secret: str = Field(description="the key of the commitment, hex; the city does not keep it")
    tree_head: ReceiptHeadOut | None = Field(
        description="the latest signed tree head covering the entry; null until one is signed"
    )


class ConsentActOut(ConsentOut):
    receipt: ReceiptOut = Field(
        description="shown only in this response: keep it to prove the act later"
    )

    @staticmethod
    def from_act(act: services.ConsentAct) -> ConsentActOut:
        return ConsentActOut(
            **ConsentOut.from_model(act.consent).model_dump(),
            receipt=ReceiptOut.model_validate(act.receipt),
        )


class PurposeOut(Schema):
    purpose: str
    label: str
    description: str
    current_version: int | None
    current_text: str | None
    given: bool
    given_version: int | None


class ConsentsOut(Schema):
    citizen_id: int
    purposes: list[PurposeOut]
    history: list[ConsentOut]


def _declared(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"must be one of: {', '.join(PURPOSES)}")
    return purpose


# A purpose slug, listed in the schema so clients (and fuzzers) know the choices.
PurposeSlug = Annotated[
    str, AfterValidator(_declared), WithJsonSchema({"type": "string", "enum": list(PURPOSES)})
]
# Database keys: positive and within a signed 64-bit integer.


class ConsentIn(Schema):
    purpose: PurposeSlug
    version: Key
    citizen_id: Key | None = None


class WithdrawIn(Schema):
    citizen_id: Key | None = None


def _consents(citizen: Citizen) -> ConsentsOut:
    texts = selectors.consent_texts_current()
    history = list(selectors.consents_of(citizen=citizen))
    open_by_purpose = {c.purpose: c for c in history if c.is_open}
    purposes = []
    for slug, purpose in PURPOSES.items():
        text = texts.get(slug)
        given = open_by_purpose.get(slug)
        purposes.append(
            PurposeOut(
                purpose=slug,
                label=str(purpose.label),
                description=str(purpose.description),
                current_version=text.version if text else None,
                current_text=text.text if text else None,
                given=given is not None,
                given_version=given.text.version if given else None,
            )
        )
    return ConsentsOut(
        citizen_id=citizen.pk,
        purposes=purposes,
        history=[ConsentOut.from_model(c) for c in history],
    )


@router.get("/consents", response={200: ConsentsOut, **errors(401, 403, 404, 422)})
def consents(request: HttpRequest, citizen_id: Key | None = None) -> ConsentsOut:
    """Each purpose with its current text and whether consent is given, and the history."""
    citizen = selectors.citizen_for(user=request_user(request), citizen_id=citizen_id)
    return _consents(citizen)


@router.post("/consents", response={201: ConsentActOut, **errors(400, 401, 403, 404, 409, 422)})
def consent_give(
    request: HttpRequest, payload: ConsentIn, response: HttpResponse
) -> Status[ConsentActOut]:
    """Give consent to the current text of a purpose, for yourself or your child.

    The answer carries the act's receipt, once: the city keeps no copy of its secret."""
    add_never_cache_headers(response)
    user = request_user(request)
    citizen = selectors.citizen_for(user=user, citizen_id=payload.citizen_id)
    act = services.consent_give(
        citizen=citizen, purpose=payload.purpose, version=payload.version, actor=user
    )
    return Status(201, ConsentActOut.from_act(act))


@router.post(
    "/consents/{purpose}/withdraw",
    response={200: ConsentActOut, **errors(400, 401, 403, 404, 409, 422)},
)
def consent_withdraw(
    request: HttpRequest, purpose: PurposeSlug, payload: WithdrawIn, response: HttpResponse
) -> ConsentActOut:
    """Withdraw an open consent from now on; the history keeps it.

    The answer carries the act's receipt, once: the city keeps no copy of its secret."""
    add_never_cache_headers(response)
    user = request_user(request)
    citizen = selectors.citizen_for(user=user, citizen_id=payload.citizen_id)
    act = services.consent_withdraw(citizen=citizen, purpose=purpose, actor=user)
    return ConsentActOut.from_act(act)


@router.get(
    "/export",
    response={200: None, **errors(401, 403)},
    openapi_extra={
        "responses": {
            200: {
                "description": "A ZIP archive of JSON files",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def export(request: HttpRequest) -> FileResponse:
    """Download everything the platform holds about you and your children (a ZIP of JSON)."""
    return export_response(request_user(request))


class ReleasePages(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(20, ge=1, le=100)
        offset: int = Field(0, ge=0, le=2**31)


class BudgetOut(Schema):
    dataset: str
    title: str
    total_epsilon: float
    spent_epsilon: float
    total_delta: float
    spent_delta: float


@router.get("/releases", response={200: list[ReleaseSummaryOut], **errors(422)}, auth=None)
@paginate(ReleasePages)
def releases(request: HttpRequest) -> QuerySet[Release]:
    """Open data: every differentially private release, newest first."""
    return selectors.releases_published()


@router.get("/releases/{release_id}", response={200: ReleaseOut, **errors(404, 422)}, auth=None)
def release(request: HttpRequest, release_id: Key) -> Release:
    """One release with its table, its accuracy per column and how it was made."""
    return selectors.release_get(release_id=release_id)


@router.get("/budgets", response=list[BudgetOut], auth=None)
def budgets(request: HttpRequest) -> list[BudgetOut]:
    """How much privacy budget each dataset has, and how much its releases have spent."""
    return [_budget(selectors.budget_of(dataset=dataset)) for dataset in DATASETS.values()]


def _budget(budget: PrivacyBudget) -> BudgetOut:
    return BudgetOut(
        dataset=budget.dataset,
        title=str(DATASETS[budget.dataset].title),
        total_epsilon=float(budget.total_epsilon),
        spent_epsilon=float(budget.spent_epsilon),
        total_delta=float(budget.total_delta),
        spent_delta=float(budget.spent_delta),
    )
