"""``/api/v1/education/``: rounds, eligible programmes, a family's applications and offers."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status

from gorod.education import selectors, services
from gorod.education.models import Application, Offer, PriorityClaim, Round
from gorod.errors import NotFound
from gorod.people.auth import request_user
from gorod.people.models import Citizen, User
from gorod.schemas import Key, errors

router = Router(tags=["education"])


class RunOut(Schema):
    kind: str
    created_at: dt.datetime
    applicants: int
    assigned: int
    input_sha256: str
    result_sha256: str
    log_index: int


class RoundOut(Schema):
    id: int
    kind: str
    year: int
    name: str
    status: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    max_choices: int
    tie_breaking: str
    seed: int | None
    runs: list[RunOut]

    @staticmethod
    def from_model(round_: Round) -> RoundOut:
        return RoundOut(
            id=round_.pk,
            kind=round_.kind,
            year=round_.year,
            name=round_.name,
            status=round_.status,
            opens_at=round_.opens_at,
            closes_at=round_.closes_at,
            max_choices=round_.max_choices,
            tie_breaking=round_.tie_breaking,
            seed=round_.seed,
            runs=[RunOut.model_validate(run, from_attributes=True) for run in round_.runs.all()],
        )


class ProgrammeOut(Schema):
    id: int
    institution_id: int
    institution: str
    name: str
    schedule: str
    capacity: int
    min_age_months: int
    max_age_months: int
    territory: bool = Field(description="the child lives in the institution's assigned territory")


class ClaimIO(Schema):
    category: Literal["extraordinary", "priority", "sibling", "staff"]
    institution_id: Key | None = None
    document: str = Field("", max_length=200)


class ClaimOut(ClaimIO):
    document_status: str


class ApplicationIn(Schema):
    round_id: Key
    child_id: Key
    choices: list[Key] = Field(description="programme ids, the most wanted first", max_length=10)
    claims: list[ClaimIO] = Field([], max_length=8)


class ChangeIn(Schema):
    choices: list[Key] = Field(max_length=10)
    claims: list[ClaimIO] = Field([], max_length=8)


class ChoiceOut(Schema):
    rank: int
    programme_id: int
    programme: str
    admitted: bool
    reason: str | None = Field(
        description="why not, for a choice ranked above the place: no_places, higher_group "
        "or lottery (same group, lottery number above the cutoff)"
    )
    group: int | None
    lottery: int | None
    cutoff_group: int | None
    cutoff_lottery: int | None
    waitlist_position: int | None = Field(
        description="for a choice ranked above the place: 1 is offered the next place there"
    )


class OfferOut(Schema):
    id: int
    programme_id: int
    status: str
    expires_at: dt.datetime


class ApplicationOut(Schema):
    id: int
    round_id: int
    child_id: int
    status: str
    lottery: int | None
    submitted_at: dt.datetime
    choices: list[ChoiceOut]
    claims: list[ClaimOut]
    offer: OfferOut | None

    @staticmethod
    def from_model(application: Application) -> ApplicationOut:
        published = application.round.status == Round.Status.PUBLISHED
        rows = selectors.results_of(application) if published else []
        by_choice = {row.choice.pk: row for row in rows}
        offer = selectors.offer_live(application) if published else None
        return ApplicationOut(
            id=application.pk,
            round_id=application.round_id,
            child_id=application.child_id,
            status=application.status if published or application.lottery is None else "submitted",
            lottery=application.lottery if published else None,
            submitted_at=application.submitted_at,
            choices=[
                _choice(choice, by_choice.get(choice.pk)) for choice in application.choices.all()
            ],
            claims=[_claim(claim) for claim in application.claims.all()],
            offer=OfferOut(
                id=offer.pk,
                programme_id=offer.programme_id,
                status=offer.status,
                expires_at=offer.expires_at,
            )
            if offer
            else None,
        )


def _choice(choice: Any, row: selectors.ChoiceResult | None) -> ChoiceOut:
    cutoff = row.cutoff if row else None
    return ChoiceOut(
        rank=choice.rank,
        programme_id=choice.programme_id,
        programme=str(choice.programme),
        admitted=bool(row and row.admitted),
        reason=row.reason.value if row and row.reason else None,
        group=choice.group if row else None,
        lottery=choice.lottery if row else None,
        cutoff_group=cutoff.group if cutoff else None,
        cutoff_lottery=cutoff.lottery if cutoff else None,
        waitlist_position=row.position if row else None,
    )


def _claim(claim: PriorityClaim) -> ClaimOut:
    return ClaimOut(
        category=claim.category,  # type: ignore[arg-type]
        institution_id=claim.institution_id,
        document=claim.document,
        document_status=claim.document_status,
    )


def _claims(items: list[ClaimIO]) -> list[services.ClaimIn]:
    return [
        services.ClaimIn(
            category=item.category, institution_id=item.institution_id, document=item.document
        )
        for item in items
    ]


def _round(round_id: int) -> Round:
    found = selectors.rounds_list().filter(pk=round_id).first()
    if found is None:
        raise NotFound(_("No such round."), field="round_id")
    return found


def _child(user: User, child_id: int) -> Citizen:
    child = selectors.children_of(user).filter(pk=child_id).first()
    if child is None:
        raise NotFound(_("No such child of yours."), field="child_id")
    return child


@router.get("/rounds", response=list[RoundOut], auth=None)
def rounds(request: HttpRequest) -> list[RoundOut]:
    """Every round, with the seed and the logged hashes of each run."""
    return [RoundOut.from_model(r) for r in selectors.rounds_list().prefetch_related("runs")]


@router.get(
    "/rounds/{round_id}/programmes",
    response={200: list[ProgrammeOut], **errors(401, 404, 422)},
)
def programmes(request: HttpRequest, round_id: Key, child_id: Key) -> list[ProgrammeOut]:
    """The round's programmes that take the child's age, with the territory marked."""
    child = _child(request_user(request), child_id)
    round_ = _round(round_id)
    territory = selectors.territory_institutions(child)
    return [
        ProgrammeOut(
            id=p.pk,
            institution_id=p.institution_id,
            institution=str(p.institution),
            name=p.name,
            schedule=p.schedule,
            capacity=p.capacity,
            min_age_months=p.min_age_months,
            max_age_months=p.max_age_months,
            territory=p.institution_id in territory,
        )
        for p in selectors.programmes_eligible(round_=round_, child=child)
    ]


@router.get("/applications", response={200: list[ApplicationOut], **errors(401)})
def applications(request: HttpRequest) -> list[ApplicationOut]:
    """The applications of your children."""
    user = request_user(request)
    mine = selectors.applications_for(user).filter(child__in=selectors.children_of(user))
    return [ApplicationOut.from_model(a) for a in mine]


@router.post("/applications", response={201: ApplicationOut, **errors(400, 401, 404, 409, 422)})
def application_submit(request: HttpRequest, payload: ApplicationIn) -> Status[ApplicationOut]:
    """Apply for your child; an ineligible application is refused with the reason."""
    user = request_user(request)
    application = services.application_submit(
        round_=_round(payload.round_id),
        child=_child(user, payload.child_id),
        user=user,
        programme_ids=payload.choices,
        claims=_claims(payload.claims),
    )
    return Status(201, ApplicationOut.from_model(_application(user, application.pk)))


def _application(user: User, application_id: int) -> Application:
    found = selectors.application_get(user=user, application_id=application_id)
    if not selectors.is_guardian(user=user, child=found.child):
        raise NotFound(_("No such application."), field="application")
    return found


@router.get(
    "/applications/{application_id}", response={200: ApplicationOut, **errors(401, 404, 422)}
)
def application(request: HttpRequest, application_id: Key) -> ApplicationOut:
    return ApplicationOut.from_model(_application(request_user(request), application_id))


@router.put(
    "/applications/{application_id}",
    response={200: ApplicationOut, **errors(400, 401, 404, 422)},
)
def application_update(
    request: HttpRequest, application_id: Key, payload: ChangeIn
) -> ApplicationOut:
    """Change the ranked programmes and the claims while the round is open."""
    user = request_user(request)
    services.application_update(
        application=_application(user, application_id),
        user=user,
        programme_ids=payload.choices,
        claims=_claims(payload.claims),
    )
    return ApplicationOut.from_model(_application(user, application_id))


@router.post(
    "/applications/{application_id}/withdraw",
    response={200: ApplicationOut, **errors(400, 401, 404, 422)},
)
def application_withdraw(request: HttpRequest, application_id: Key) -> ApplicationOut:
    user = request_user(request)
    services.application_withdraw(application=_application(user, application_id), user=user)
    return ApplicationOut.from_model(_application(user, application_id))


def _offer(user: User, offer_id: int) -> Offer:
    offer = Offer.objects.filter(
        pk=offer_id, application__child__in=selectors.children_of(user)
    ).first()
    if offer is None:
        raise NotFound(_("No such offer."), field="offer_id")
    return offer


@router.post(
    "/offers/{offer_id}/accept", response={200: ApplicationOut, **errors(400, 401, 404, 422)}
)
def offer_accept(request: HttpRequest, offer_id: Key) -> ApplicationOut:
    user = request_user(request)
    offer = services.offer_accept(offer=_offer(user, offer_id), user=user)
    return ApplicationOut.from_model(_application(user, offer.application_id))


@router.post(
    "/offers/{offer_id}/decline", response={200: ApplicationOut, **errors(400, 401, 404, 422)}
)
def offer_decline(request: HttpRequest, offer_id: Key) -> ApplicationOut:
    """Give up the place and the programmes ranked below it; the place passes on."""
    user = request_user(request)
    offer = _offer(user, offer_id)
    services.offer_decline(offer=offer, user=user)
    return ApplicationOut.from_model(_application(user, offer.application_id))
