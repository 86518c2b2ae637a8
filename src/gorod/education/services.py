"""Writes: applications, document checks, running and publishing a round, offers.

A round runs once (``round_run``): the mechanism gets the round as a round file
(docs/round-format.md), so ``gorod education match`` on the exported file gives the same
result; the seed and the hashes of the input and the result go into the transparency log.
After publication a family answers its offer; a refusal (or an offer left to expire) gives
up that place and every place ranked below it, and a waitlist run passes the freed places
on without making anyone worse off (docs/enrolment.md).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.education import conf, rules, selectors
from gorod.education.models import (
    Application,
    Choice,
    Cutoff,
    Offer,
    PriorityClaim,
    Programme,
    Round,
    Run,
)
from gorod.education.rounds import match_round, parse_round
from gorod.errors import ApplicationError, Conflict
from gorod.ledger.commitments import canonical_json
from gorod.ledger.services import log_append, record
from gorod.people.models import Citizen, Role, User
from gorod.people.scope import is_city_admin, official_for
from gorod.portal.notifications import notify

LOG_KIND = "education.round"


@dataclass(frozen=True)
class ClaimIn:
    """A right the family claims: ``institution`` for a sibling or a staff claim."""

    category: str
    institution_id: int | None = None
    document: str = ""


# --- applications -------------------------------------------------------------------------


def _guardian(user: User, child: Citizen) -> Citizen:
    guardian = Citizen.objects.filter(user=user).first()
    if guardian is None or not selectors.is_guardian(user=user, child=child):
        raise ApplicationError(
            _("Only a parent or guardian of the child may apply for them."), field="child"
        )
    return guardian


def _round_accepts(round_: Round) -> None:
    if not selectors.round_accepts(round_):
        raise ApplicationError(
            _("The round “%(round)s” does not accept applications now.") % {"round": round_.name},
            field="round",
        )


def eligibility_refusal(*, round_: Round, child: Citizen) -> str | None:
    """Why the child may not apply in the round, or None."""
    months = selectors.age_months(round_=round_, child=child)
    low, high = rules.AGE_LIMITS[round_.kind]
    if not low <= months < high:
        return _(
            "On 1 September %(year)d the child will be %(years)d years %(months)d months old; "
            "this round takes children from %(low_years)d years %(low_months)d months "
            "to under %(high_years)d years %(high_months)d months."
        ) % {
            "year": round_.year,
            "years": months // 12,
            "months": months % 12,
            "low_years": low // 12,
            "low_months": low % 12,
            "high_years": high // 12,
            "high_months": high % 12,
        }
    if child.apartment_id is None:
        return _("The child has no registered address in Moscow.")
    return None


def _check_choices(round_: Round, child: Citizen, programme_ids: Sequence[int]) -> list[Programme]:
    if not programme_ids:
        raise ApplicationError(_("List at least one programme."), field="choices")
    if len(programme_ids) > round_.max_choices:
        raise ApplicationError(
            _("This round lets you list at most %(count)d programmes.")
            % {"count": round_.max_choices},
            field="choices",
        )
    if len(set(programme_ids)) != len(programme_ids):
        raise ApplicationError(_("A programme is listed twice."), field="choices")
    eligible = selectors.programmes_eligible(round_=round_, child=child).in_bulk(programme_ids)
    for position, programme_id in enumerate(programme_ids):
        if programme_id not in eligible:
            raise ApplicationError(
                _("Choice %(rank)d is not a programme of this round that takes the child's age.")
                % {"rank": position + 1},
                field=f"choices[{position}]",
            )
    return [eligible[programme_id] for programme_id in programme_ids]


def _check_claims(claims: Sequence[ClaimIn]) -> None:
    seen: set[tuple[str, int | None]] = set()
    for position, claim in enumerate(claims):
        field = f"claims[{position}]"
        if claim.category not in PriorityClaim.Category.values:
            raise ApplicationError(_("Unknown priority category."), field=f"{field}.category")
        needs_place = claim.category in {"sibling", "staff"}
        if needs_place != (claim.institution_id is not None):
            raise ApplicationError(
                _("A sibling or staff claim names the institution; a right by law does not."),
                field=f"{field}.institution",
            )
        if (claim.category, claim.institution_id) in seen:
            raise ApplicationError(_("A priority is claimed twice."), field=field)
        seen.add((claim.category, claim.institution_id))


def _write_choices_and_claims(
    application: Application, programmes: list[Programme], claims: Sequence[ClaimIn]
) -> None:
    application.choices.all().delete()
    Choice.objects.bulk_create(
        Choice(application=application, programme=programme, rank=rank)
        for rank, programme in enumerate(programmes, start=1)
    )
    kept = {(c.category, c.institution_id): c for c in application.claims.all()}
    wanted = {(c.category, c.institution_id): c for c in claims}
    application.claims.exclude(pk__in=[c.pk for key, c in kept.items() if key in wanted]).delete()
    PriorityClaim.objects.bulk_create(
        PriorityClaim(
            application=application,
            category=claim.category,
            institution_id=claim.institution_id,
            document=claim.document[:200],
        )
        for key, claim in wanted.items()
        if key not in kept
    )


@transaction.atomic
def application_submit(
    *,
    round_: Round,
    child: Citizen,
    user: User,
    programme_ids: Sequence[int],
    claims: Sequence[ClaimIn] = (),
) -> Application:
    """Apply for ``child``: ranked programmes, best first, and the rights claimed."""
    guardian = _guardian(user, child)
    _round_accepts(round_)
    if refusal := eligibility_refusal(round_=round_, child=child):
        raise ApplicationError(refusal, field="child")
    programmes = _check_choices(round_, child, programme_ids)
    _check_claims(claims)
    existing = Application.objects.select_for_update().filter(round=round_, child=child).first()
    if existing is not None and existing.status != Application.Status.WITHDRAWN:
        raise Conflict(
            _("The child already has an application in this round; change it instead."),
            field="child",
        )
    try:
        with transaction.atomic():
            if existing is None:
                application = Application.objects.create(
                    round=round_, child=child, guardian=guardian
                )
            else:
                application = existing
                application.guardian = guardian
                application.status = Application.Status.SUBMITTED
                application.save(update_fields=["guardian", "status", "updated_at"])
    except IntegrityError as exc:
        raise Conflict(
            _("The child already has an application in this round; change it instead."),
            field="child",
        ) from exc
    _write_choices_and_claims(application, programmes, claims)
    return application


def _own_application(application: Application, user: User) -> Application:
    locked = (
        Application.objects.select_for_update()
        .select_related("round", "child")
        .get(pk=application.pk)
    )
    _guardian(user, locked.child)
    return locked


@transaction.atomic
def application_update(
    *,
    application: Application,
    user: User,
    programme_ids: Sequence[int],
    claims: Sequence[ClaimIn] = (),
) -> Application:
    """Change the ranked programmes and the claims while the round is open."""
    application = _own_application(application, user)
    _round_accepts(application.round)
    if application.status != Application.Status.SUBMITTED:
        raise ApplicationError(_("Only a submitted application can be changed."), field="status")
    programmes = _check_choices(application.round, application.child, programme_ids)
    _check_claims(claims)
    _write_choices_and_claims(application, programmes, claims)
    application.save(update_fields=["updated_at"])
    return application


@transaction.atomic
def application_withdraw(*, application: Application, user: User) -> Application:
    """Withdraw while the round is open (afterwards, decline the offered place)."""
    application = _own_application(application, user)
    _round_accepts(application.round)
    if application.status != Application.Status.SUBMITTED:
        raise ApplicationError(_("The application is already withdrawn."), field="status")
    application.status = Application.Status.WITHDRAWN
    application.save(update_fields=["status", "updated_at"])
    return application


@transaction.atomic
def claim_review(*, claim: PriorityClaim, user: User, verified: bool) -> PriorityClaim:
    """Record the check of a claim's document: an education officer of the child's district,
    the institution's administrator for a sibling or staff claim, or a city administrator."""
    claim = (
        PriorityClaim.objects.select_for_update(of=("self",))
        .select_related("application__child__apartment__building", "application__round")
        .get(pk=claim.pk)
    )
    official = official_for(user)
    home = claim.application.child.apartment
    allowed = is_city_admin(user) or (
        official is not None
        and (
            (
                official.role == Role.EDUCATION_OFFICER
                and home is not None
                and home.building.district_id == official.district_id
            )
            or (
                official.role == Role.SCHOOL_ADMIN
                and claim.institution_id is not None
                and claim.institution_id == official.institution_id
            )
        )
    )
    if not allowed:
        raise PermissionDenied
    if claim.application.round.status not in {Round.Status.OPEN, Round.Status.CLOSED}:
        raise ApplicationError(_("The round has already run."), field="round")
    claim.document_status = (
        PriorityClaim.Document.VERIFIED if verified else PriorityClaim.Document.REJECTED
    )
    claim.reviewed_at = timezone.now()
    claim.save(update_fields=["document_status", "reviewed_at"])
    record(
        actor=user,
        action="education.claim.review",
        subject=claim.application.child,
        purpose="enrolment priority check",
        detail={
            "round": claim.application.round_id,
            "category": claim.category,
            "result": claim.document_status,
        },
    )
    return claim


# --- running the round ----------------------------------------------------------------------


def _city_admin(user: User | None) -> None:
    if user is not None and not is_city_admin(user):
        raise PermissionDenied


def result_sha256(document: dict[str, Any]) -> str:
    """SHA-256 of a result document as canonical JSON (sorted keys, no spaces)."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def _log(round_: Round, kind: str, document: dict[str, Any]) -> int:
    statement = {
        "round": round_.pk,
        "name": round_.name,
        "run": kind,
        "seed": document["seed"],
        "tie_breaking": document["tie_breaking"],
        "input_sha256": document["input_sha256"],
        "result_sha256": result_sha256(document),
    }
    [index] = log_append(leaves=[canonical_json(statement)], kind=LOG_KIND)
    return index


def _locked_round(round_: Round) -> Round:
    return Round.objects.select_for_update().get(pk=round_.pk)


@transaction.atomic
def round_run(*, round_: Round, by_user: User | None, seed: int | None = None) -> Run:
    """Run the round once it has closed: priorities from the database, the mechanism, the
    lottery numbers, cutoffs and places stored, the hashes in the transparency log."""
    _city_admin(by_user)
    round_ = _locked_round(round_)
    closed = round_.status == Round.Status.CLOSED or (
        round_.status == Round.Status.OPEN and round_.closes_at <= timezone.now()
    )
    if not closed:
        raise ApplicationError(
            _("The round can run once it has closed for applications."), field="round"
        )
    round_.seed = seed if seed is not None else secrets.randbelow(2**63)
    round_.save(update_fields=["seed"])
    source = selectors.round_input(round_=round_, stage=selectors.Stage.FRESH)
    return _apply(round_, source, Run.Kind.ROUND, by_user)


def _apply(round_: Round, source: selectors.RoundInput, kind: str, by_user: User | None) -> Run:
    """Run the mechanism on ``source`` and store what it decided."""
    parsed = parse_round(json.dumps(source.document))
    outcome, document = match_round(parsed)
    run = Run.objects.create(
        round=round_,
        kind=kind,
        input_sha256=document["input_sha256"],
        result_sha256=result_sha256(document),
        log_index=_log(round_, kind, document),
        applicants=len(source.applications),
        assigned=len(source.applications) - outcome.unassigned,
        by=by_user,
    )
    assignment = outcome.assignment.tolist()
    if kind == Run.Kind.ROUND:
        _store_lottery(round_, source, parsed.instance.offsets.tolist(), outcome)
    _store_cutoffs(round_, source, outcome)
    placed = {
        application_id: source.programmes[programme] if programme >= 0 else None
        for application_id, programme in zip(source.applications, assignment, strict=True)
    }
    _store_places(round_, placed, run)
    round_.input_sha256, round_.result_sha256 = run.input_sha256, run.result_sha256
    if kind == Run.Kind.ROUND:
        round_.status, round_.matched_at = Round.Status.MATCHED, timezone.now()
    round_.save(update_fields=["input_sha256", "result_sha256", "status", "matched_at"])
    return run


def _update_rows(
    model: type[Model], rows: dict[int, tuple[Any, ...]], columns: dict[str, str]
) -> None:
    """Set ``columns`` (name: SQL type) of many rows at once, by primary key: one statement
    over arrays on PostgreSQL, a prepared statement repeated on SQLite. The ORM's
    ``bulk_update`` builds a CASE per row, far too slow for a city's round."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = [quote(name) for name in columns]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sets = ", ".join(f"{name} = v.{name}" for name in names)
            arrays = ", ".join(f"%s::{kind}[]" for kind in columns.values())
            ids = list(rows)
            values = [[row[k] for row in rows.values()] for k in range(len(columns))]
            cursor.execute(
                # Identifiers come from the model, values are parameters.
                f"UPDATE {table} AS t SET {sets} FROM unnest(%s::bigint[], {arrays}) "  # noqa: S608
                f"AS v(id, {', '.join(names)}) WHERE t.id = v.id",
                [ids, *values],
            )
        else:
            sets = ", ".join(f"{name} = %s" for name in names)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE id = %s",  # noqa: S608
                [(*row, key) for key, row in rows.items()],
            )


def _store_lottery(
    round_: Round, source: selectors.RoundInput, offsets: list[int], outcome: Any
) -> None:
    groups = outcome.choice_group.tolist()
    lottery = outcome.choice_lottery.tolist()
    choices = {
        (application_id, programme_id): pk
        for application_id, programme_id, pk in Choice.objects.filter(
            application__round=round_
        ).values_list("application_id", "programme_id", "pk")
    }
    rows: dict[int, tuple[Any, ...]] = {}
    for position, application_id in enumerate(source.applications):
        listed = source.document["applicants"][position]["choices"]
        for entry, programme in zip(
            range(offsets[position], offsets[position + 1]), listed, strict=True
        ):
            rows[choices[(application_id, int(programme[1:]))]] = (groups[entry], lottery[entry])
    _update_rows(Choice, rows, {"group": "integer", "lottery": "integer"})
    if outcome.applicant_lottery is not None:
        numbers = outcome.applicant_lottery.tolist()
    else:  # multiple tie-breaking: a number per choice; 0 marks who took part
        numbers = [0] * len(source.applications)
    _update_rows(
        Application,
        {a: (n,) for a, n in zip(source.applications, numbers, strict=True)},
        {"lottery": "integer"},
    )


def _store_cutoffs(round_: Round, source: selectors.RoundInput, outcome: Any) -> None:
    Cutoff.objects.filter(round=round_).delete()
    admitted = [0] * len(source.programmes)
    for programme in outcome.assignment.tolist():
        if programme >= 0:
            admitted[programme] += 1
    rows = []
    for position, programme_id in enumerate(source.programmes):
        group = int(outcome.cutoff_group[position])
        lottery: int | None = int(outcome.cutoff_lottery[position])
        if group < 0:
            group_value: int | None = None
            lottery = None
        elif source.multiplier:
            group_value, lottery = divmod(group, source.multiplier)
        else:
            group_value = group
        rows.append(
            Cutoff(
                round=round_,
                programme_id=programme_id,
                admitted=admitted[position],
                group=group_value,
                lottery=lottery,
            )
        )
    Cutoff.objects.bulk_create(rows, batch_size=2000)


def _store_places(round_: Round, placed: dict[int, int | None], run: Run) -> None:
    """Set each application's place; after publication, offer the changed places."""
    current = dict(
        Application.objects.filter(round=round_, lottery__isnull=False).values_list(
            "pk", "assigned_id"
        )
    )
    changed = {
        application_id: programme
        for application_id, programme in placed.items()
        if run.kind == Run.Kind.ROUND or current.get(application_id) != programme
    }
    _update_rows(
        Application,
        {
            application_id: (
                programme,
                Application.Status.ADMITTED if programme else Application.Status.WAITLISTED,
            )
            for application_id, programme in changed.items()
        },
        {"assigned_id": "bigint", "status": "text"},
    )
    if round_.status == Round.Status.PUBLISHED:
        _offer(
            list(
                Application.objects.filter(pk__in=list(changed)).select_related(
                    "guardian__user", "child"
                )
            ),
            run,
        )


def _offer(applications: list[Application], run: Run, *, supersede: bool = True) -> None:
    """Offer each application its place (replacing a live offer) and tell the family."""
    now = timezone.now()
    if supersede:
        Offer.objects.filter(
            application__in=applications,
            status__in=[Offer.Status.OFFERED, Offer.Status.ACCEPTED],
        ).update(status=Offer.Status.SUPERSEDED, answered_at=now)
    expires = now + conf.offer_lifetime()
    Offer.objects.bulk_create(
        [
            Offer(application=a, programme_id=a.assigned_id, run=run, expires_at=expires)
            for a in applications
            if a.assigned_id is not None
        ],
        batch_size=2000,
    )
    for application in applications:
        _tell_family(application, waitlist=run.kind == Run.Kind.WAITLIST)


def _tell_family(application: Application, *, waitlist: bool) -> None:
    user = application.guardian.user
    if user is None:
        return
    name = application.child.first_name
    if application.assigned_id is not None:
        title = (
            _("A place has freed up for %(name)s") if waitlist else _("A place for %(name)s")
        ) % {"name": name}
        body = _("Please accept or decline the offered place before the deadline.")
    else:
        title = _("No place yet for %(name)s") % {"name": name}
        body = _("The child stays on the waiting lists of the programmes you listed.")
    notify(
        user=user,
        kind="education.result",
        title=title,
        body=body,
        link=reverse("education:application", args=[application.pk]),
        channels=("cabinet", "email"),
    )


@transaction.atomic
def round_publish(*, round_: Round, by_user: User | None) -> Round:
    """Publish the results: each admitted child is offered the place, every family is told."""
    _city_admin(by_user)
    round_ = _locked_round(round_)
    if round_.status != Round.Status.MATCHED:
        raise ApplicationError(_("Only a matched round can be published."), field="round")
    round_.status, round_.published_at = Round.Status.PUBLISHED, timezone.now()
    round_.save(update_fields=["status", "published_at"])
    run = Run.objects.filter(round=round_).latest("pk")  # a matched round has run
    applications = list(
        Application.objects.filter(round=round_, lottery__isnull=False).select_related(
            "guardian__user", "child"
        )
    )
    _offer(applications, run, supersede=False)  # the first offers of the round
    return round_


# --- offers and the waitlist ----------------------------------------------------------------


def _own_offer(offer: Offer, user: User) -> Offer:
    locked = Offer.objects.select_for_update().select_related("application__child").get(pk=offer.pk)
    _guardian(user, locked.application.child)
    if locked.status != Offer.Status.OFFERED:
        raise ApplicationError(_("This offer is no longer open."), field="offer")
    return locked


@transaction.atomic
def offer_accept(*, offer: Offer, user: User) -> Offer:
    """Accept the place; the child stays on the waiting lists of programmes ranked higher."""
    offer = _own_offer(offer, user)
    offer.status, offer.answered_at = Offer.Status.ACCEPTED, timezone.now()
    offer.save(update_fields=["status", "answered_at"])
    return offer


def _give_up(offer: Offer, status: str) -> None:
    """The family gives up the place and every place it ranked below it."""
    offer.status, offer.answered_at = status, timezone.now()
    offer.save(update_fields=["status", "answered_at"])
    application = offer.application
    rank = application.choices.get(programme_id=offer.programme_id).rank
    application.choices.filter(rank__gte=rank).update(active=False)
    application.assigned = None
    application.status = (
        Application.Status.WAITLISTED
        if application.choices.filter(active=True).exists()
        else Application.Status.DECLINED
    )
    application.save(update_fields=["assigned", "status", "updated_at"])


def _waitlist_run(round_: Round, by_user: User | None) -> Run:
    round_ = _locked_round(round_)
    source = selectors.round_input(round_=round_, stage=selectors.Stage.WAITLIST)
    return _apply(round_, source, Run.Kind.WAITLIST, by_user)


@transaction.atomic
def offer_decline(*, offer: Offer, user: User) -> Run:
    """Decline the place: it passes to the next child by priority and lottery order."""
    offer = _own_offer(offer, user)
    round_ = offer.application.round
    _locked_round(round_)
    _give_up(offer, Offer.Status.DECLINED)
    return _waitlist_run(round_, user)


@transaction.atomic
def offers_expire(*, now: Any = None) -> int:
    """Expire the offers past their deadline and pass their places on; how many expired."""
    now = now or timezone.now()
    due = list(
        Offer.objects.select_for_update()
        .filter(status=Offer.Status.OFFERED, expires_at__lte=now)
        .select_related("application__round")
    )
    rounds = {offer.application.round_id: offer.application.round for offer in due}
    for round_ in rounds.values():
        _locked_round(round_)
    for offer in due:
        _give_up(offer, Offer.Status.EXPIRED)
    for round_ in rounds.values():
        _waitlist_run(round_, None)
    return len(due)
