"""Reads: rounds and programmes, a family's applications and results, the round as a file,
the admitted lists and demand against capacity."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.education import rules
from gorod.education.matching import Reason, rejection_reason
from gorod.education.models import (
    Application,
    Choice,
    Cutoff,
    Offer,
    PriorityClaim,
    Programme,
    Round,
    Run,
    Territory,
)
from gorod.errors import NotFound
from gorod.people.models import Citizen, Guardianship, Role, User
from gorod.people.scope import official_for, restrict
from gorod.places.models import District, Institution


def round_get(*, round_id: int) -> Round:
    found = Round.objects.filter(pk=round_id).first()
    if found is None:
        raise NotFound(_("No such round."), field="round")
    return found


def rounds_open() -> QuerySet[Round]:
    now = timezone.now()
    return Round.objects.filter(status=Round.Status.OPEN, opens_at__lte=now, closes_at__gt=now)


def rounds_list() -> QuerySet[Round]:
    return Round.objects.exclude(status=Round.Status.DRAFT)


def round_accepts(round_: Round) -> bool:
    """Whether families may still submit, change or withdraw applications in the round."""
    now = timezone.now()
    return round_.status == Round.Status.OPEN and round_.opens_at <= now < round_.closes_at


def children_of(user: User) -> QuerySet[Citizen]:
    """The children the account's citizen is a guardian of."""
    return Citizen.objects.filter(guardians__guardian__user=user).select_related(
        "apartment__building"
    )


def is_guardian(*, user: User, child: Citizen) -> bool:
    return Guardianship.objects.filter(guardian__user=user, child=child).exists()


def age_months(*, round_: Round, child: Citizen) -> int:
    return rules.months_on(child.birth_date, rules.school_year_start(round_.year))


def round_programmes(round_: Round) -> QuerySet[Programme]:
    return Programme.objects.filter(kind=round_.kind, year=round_.year).select_related(
        "institution__district"
    )


def programmes_eligible(*, round_: Round, child: Citizen) -> QuerySet[Programme]:
    """The round's programmes whose age range takes the child on 1 September."""
    months = age_months(round_=round_, child=child)
    return round_programmes(round_).filter(
        min_age_months__lte=months, max_age_months__gt=months, institution__is_active=True
    )


def territory_institutions(child: Citizen) -> set[int]:
    """The institutions whose assigned territory includes the child's home."""
    apartment = child.apartment
    if apartment is None:
        return set()
    building = apartment.building
    return set(
        Territory.objects.filter(
            Q(building_id=building.pk) | Q(district_id=building.district_id)
        ).values_list("institution_id", flat=True)
    )


def applications_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Application]:
    """Applications the user may see: a family's own, an official's in their scope."""
    queryset = Application.objects.select_related("round", "child", "guardian")
    return restrict(
        queryset, user, citizen="child", district="child__apartment__building__district"
    ).prefetch_related(
        Prefetch("choices", queryset=Choice.objects.select_related("programme__institution")),
        "claims__institution",
        Prefetch("offers", queryset=Offer.objects.select_related("programme__institution")),
    )


def application_get(*, user: AbstractBaseUser | AnonymousUser, application_id: int) -> Application:
    found = applications_for(user).filter(pk=application_id).first()
    if found is None:
        raise NotFound(_("No such application."), field="application")
    return found


def offer_live(application: Application) -> Offer | None:
    return next((offer for offer in application.offers.all() if offer.is_live), None)


@dataclass(frozen=True)
class ChoiceResult:
    """A listed programme after the round: the child's place, or why not."""

    choice: Choice
    admitted: bool
    reason: Reason | None
    cutoff: Cutoff | None
    position: int | None = None
    """On the waiting list: 1 is offered the next place that frees up."""


def results_of(application: Application) -> list[ChoiceResult]:
    """Each choice with the result: the place, why not for those ranked above it, nothing for
    those below (or declined)."""
    cutoffs = {
        cutoff.programme_id: cutoff
        for cutoff in Cutoff.objects.filter(
            round_id=application.round_id,
            programme__in=[choice.programme_id for choice in application.choices.all()],
        )
    }
    assigned = application.assigned_id
    rows: list[ChoiceResult] = []
    above = True
    for choice in application.choices.all():
        if choice.programme_id == assigned:
            rows.append(ChoiceResult(choice, True, None, cutoffs.get(choice.programme_id)))
            above = False
            continue
        cutoff = cutoffs.get(choice.programme_id)
        reason = None
        position = None
        if above and choice.active and choice.group is not None and choice.lottery is not None:
            reason = rejection_reason(
                capacity=choice.programme.capacity,
                group=choice.group,
                cutoff_group=cutoff.group if cutoff and cutoff.group is not None else -1,
            )
            position = waitlist_position(choice)
        rows.append(ChoiceResult(choice, False, reason, cutoff, position))
    return rows


def waitlist_position(choice: Choice) -> int:
    """Where the child stands for a place at the choice's programme: the children ahead are
    those waiting for it (listed above their own place, or without one) with a better
    priority group, or the same group and a lower lottery number."""
    place_rank = Choice.objects.filter(
        application=OuterRef("application"), programme=OuterRef("application__assigned")
    ).values("rank")[:1]
    ahead = (
        Choice.objects.filter(
            application__round_id=choice.application.round_id,
            programme_id=choice.programme_id,
            active=True,
        )
        .exclude(application__assigned_id=choice.programme_id)
        .filter(Q(application__assigned__isnull=True) | Q(rank__lt=Subquery(place_rank)))
        .filter(Q(group__lt=choice.group) | Q(group=choice.group, lottery__lt=choice.lottery))
    )
    return ahead.count() + 1


@dataclass(frozen=True)
class RoundInput:
    """The round as a round file (docs/round-format.md) and what its ids stand for."""

    document: dict[str, Any]
    applications: list[int]
    programmes: list[int]
    multiplier: int
    """Waitlist runs: group and lottery packed as ``group * multiplier + lottery``; 0 when the
    round itself (groups as they are, ties broken by the seed's lottery)."""


def _verified_rights(applications: QuerySet[Application]) -> dict[int, set[tuple[str, int | None]]]:
    rights: dict[int, set[tuple[str, int | None]]] = defaultdict(set)
    for application_id, category, institution_id in PriorityClaim.objects.filter(
        application__in=applications.values("pk"),
        document_status=PriorityClaim.Document.VERIFIED,
    ).values_list("application_id", "category", "institution_id"):
        rights[application_id].add((category, institution_id))
    return rights


def _territories() -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    by_building: set[tuple[int, int]] = set()
    by_district: set[tuple[int, int]] = set()
    for institution_id, building_id, district_id in Territory.objects.values_list(
        "institution_id", "building_id", "district_id"
    ):
        if building_id is not None:
            by_building.add((institution_id, building_id))
        if district_id is not None:
            by_district.add((institution_id, district_id))
    return by_building, by_district


@dataclass(frozen=True)
class _Choice:
    pk: int
    application: int
    programme: int
    institution: int
    group: int | None
    lottery: int | None


def _priority_groups(applications: QuerySet[Application], choices: list[_Choice]) -> dict[int, int]:
    """Each choice's priority group (by choice id), from the child's home and verified rights."""
    rights = _verified_rights(applications)
    home = {
        pk: (building, district)
        for pk, building, district in applications.values_list(
            "pk", "child__apartment__building_id", "child__apartment__building__district_id"
        )
    }
    by_building, by_district = _territories()
    groups = {}
    for choice in choices:
        building, district = home[choice.application]
        territory = (choice.institution, building) in by_building or (
            choice.institution,
            district,
        ) in by_district
        held = {
            category
            for category, where in rights[choice.application]
            if where is None or where == choice.institution
        }
        groups[choice.pk] = rules.priority_group(territory=territory, rights=held)
    return groups


class Stage(StrEnum):
    """Which input of a round: before it runs, as it ran, or for the next waitlist run."""

    FRESH = "fresh"
    AS_RUN = "as_run"
    WAITLIST = "waitlist"


def round_input(*, round_: Round, stage: Stage) -> RoundInput:
    """The round as a round file.

    ``FRESH``: every submitted application, groups computed now from homes and verified
    rights. ``AS_RUN``: the applications that took part, all their choices, with the groups
    the run fixed: the same file, so exported after the run it gives the logged hash.
    ``WAITLIST``: those applications' active choices, each (group, lottery) packed into one
    strict group, so no lottery is drawn again.
    """
    programmes = list(round_programmes(round_).order_by("pk").values_list("pk", "capacity"))
    applications = Application.objects.filter(round=round_)
    if stage is Stage.FRESH:
        applications = applications.filter(status=Application.Status.SUBMITTED)
    else:
        applications = applications.filter(lottery__isnull=False)
    listed = list(applications.order_by("pk").values_list("pk", flat=True))
    choices = Choice.objects.filter(application__in=applications.values("pk"))
    if stage is Stage.WAITLIST:
        choices = choices.filter(active=True)
    ordered = [
        _Choice(*row)
        for row in choices.order_by("application_id", "rank").values_list(
            "pk", "application_id", "programme_id", "programme__institution_id", "group", "lottery"
        )
    ]
    multiplier = 0
    if stage is Stage.FRESH:
        groups = _priority_groups(applications, ordered)
    elif stage is Stage.AS_RUN:
        groups = {c.pk: c.group or 0 for c in ordered}
    else:
        first = Run.objects.filter(round=round_, kind=Run.Kind.ROUND).order_by("pk").first()
        multiplier = (first.applicants if first else len(listed)) + 1
        groups = {c.pk: (c.group or 0) * multiplier + (c.lottery or 0) for c in ordered}
    per_application: dict[int, list[_Choice]] = defaultdict(list)
    for choice in ordered:
        per_application[choice.application].append(choice)
    if stage is Stage.WAITLIST:
        listed = [pk for pk in listed if per_application[pk]]
    document = {
        "programmes": [{"id": f"p{pk}", "capacity": capacity} for pk, capacity in programmes],
        "applicants": [
            {
                "id": f"a{pk}",
                "choices": [f"p{c.programme}" for c in per_application[pk]],
                "priority": {f"p{c.programme}": groups[c.pk] for c in per_application[pk]},
            }
            for pk in listed
        ],
        "tie_breaking": round_.tie_breaking,
        "seed": round_.seed if round_.seed is not None else 0,
    }
    return RoundInput(
        document=document,
        applications=listed,
        programmes=[pk for pk, _capacity in programmes],
        multiplier=multiplier,
    )


def claims_to_review(user: AbstractBaseUser | AnonymousUser) -> QuerySet[PriorityClaim]:
    """Claims in rounds still taking or holding applications, for the officials who check
    them: the district's education officer, the institution named by a sibling or staff
    claim, a city administrator."""
    claims = PriorityClaim.objects.filter(
        application__round__status__in=[Round.Status.OPEN, Round.Status.CLOSED],
        application__status=Application.Status.SUBMITTED,
    )
    official = official_for(user)
    if official is not None and official.role not in {
        Role.EDUCATION_OFFICER,
        Role.SCHOOL_ADMIN,
        Role.CITY_ADMIN,
    }:
        return claims.none()
    claims = restrict(
        claims,
        user,
        institution="institution",
        district="application__child__apartment__building__district",
    )
    if official is None and not getattr(user, "is_superuser", False):
        return claims.none()  # a family sees its claims on the application, not here
    return claims.select_related(
        "application__child", "application__round", "institution"
    ).order_by("document_status", "application__submitted_at")


def admitted_list(
    *, user: AbstractBaseUser | AnonymousUser, institution: Institution, round_: Round | None = None
) -> QuerySet[Offer]:
    """Live offers at the institution's programmes, for an official who may see them."""
    offers = Offer.objects.filter(
        programme__institution=institution,
        status__in=[Offer.Status.OFFERED, Offer.Status.ACCEPTED],
    )
    if round_ is not None:
        offers = offers.filter(application__round=round_)
    offers = restrict(offers, user, institution="programme__institution")
    return offers.select_related(
        "application__child", "application__guardian", "application__round", "programme"
    ).order_by("programme__name", "application__child__last_name", "application__child__first_name")


def institutions_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Institution]:
    """The kindergartens, schools and clubs the official works for."""
    queryset = Institution.objects.filter(
        kind__in=[Institution.Kind.KINDERGARTEN, Institution.Kind.SCHOOL, Institution.Kind.CLUB]
    )
    official = official_for(user)
    if official is not None and official.institution_id is not None:
        return queryset.filter(pk=official.institution_id)
    return restrict(queryset, user, institution="pk", district="district")


@dataclass(frozen=True)
class DistrictDemand:
    district: District
    applicants: int
    first_choices: int
    places: int
    admitted: int
    waiting: int

    @property
    def ratio(self) -> float | None:
        return self.first_choices / self.places if self.places else None


def districts_for_planning(user: AbstractBaseUser | AnonymousUser) -> QuerySet[District]:
    """A district official plans with the whole okrug in view (counts only, no names)."""
    official = official_for(user)
    if official is not None and official.district is not None:
        return District.objects.filter(okrug_id=official.district.okrug_id)
    return restrict(District.objects.all(), user, district="pk")


def demand_by_district(
    *, round_: Round, user: AbstractBaseUser | AnonymousUser
) -> list[DistrictDemand]:
    """Per district the official sees: children applying who live there, first choices of its
    programmes, places, and how many were admitted or still wait. Counts only, no names."""
    districts = list(districts_for_planning(user))
    ids = [d.pk for d in districts]
    applications = Application.objects.filter(round=round_).exclude(
        status=Application.Status.WITHDRAWN
    )
    by_home = dict(
        applications.filter(child__apartment__building__district__in=ids)
        .values_list("child__apartment__building__district")
        .annotate(n=Count("pk"))
    )
    first = dict(
        Choice.objects.filter(
            application__in=applications, rank=1, programme__institution__district__in=ids
        )
        .values_list("programme__institution__district")
        .annotate(n=Count("pk"))
    )
    places = dict(
        round_programmes(round_)
        .filter(institution__district__in=ids)
        .values_list("institution__district")
        .annotate(n=Sum("capacity"))
    )
    admitted = dict(
        applications.filter(assigned__isnull=False, assigned__institution__district__in=ids)
        .values_list("assigned__institution__district")
        .annotate(n=Count("pk"))
    )
    waiting = dict(
        applications.filter(
            status=Application.Status.WAITLISTED,
            child__apartment__building__district__in=ids,
        )
        .values_list("child__apartment__building__district")
        .annotate(n=Count("pk"))
    )
    rows = [
        DistrictDemand(
            district=d,
            applicants=by_home.get(d.pk, 0),
            first_choices=first.get(d.pk, 0),
            places=places.get(d.pk) or 0,
            admitted=admitted.get(d.pk, 0),
            waiting=waiting.get(d.pk, 0),
        )
        for d in districts
    ]
    return [r for r in rows if r.applicants or r.places or r.first_choices]
