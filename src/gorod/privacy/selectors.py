"""Reads: whose data a user may act on, consents and their texts, open-data releases."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, NotFound
from gorod.people.models import Citizen, User
from gorod.privacy.datasets import DATASETS, Dataset, measure_noise
from gorod.privacy.dp import Noise
from gorod.privacy.models import Consent, ConsentText, PrivacyBudget, Release
from gorod.privacy.purposes import PURPOSES

EPSILON_STEP = Decimal("0.000001")
EPSILON_LIMIT = Decimal(1000000)
DELTA_STEP = Decimal("1e-15")


class ConsentRequired(ApplicationError):
    """A service was about to read data for a purpose the citizen has not consented to."""

    status = 403


def citizens_acting_for(*, user: User) -> list[Citizen]:
    """The citizen behind ``user`` first, then the children they are guardian of."""
    own = Citizen.objects.filter(user=user).first()
    if own is None:
        return []
    children = Citizen.objects.filter(guardians__guardian=own).order_by("birth_date", "pk")
    return [own, *children]


def citizen_for(*, user: User, citizen_id: int | None = None) -> Citizen:
    """The user's own citizen record, or one of their children's when ``citizen_id`` says so."""
    people = citizens_acting_for(user=user)
    if not people:
        raise PermissionDenied(_("Your account is not linked to a citizen record."))
    if citizen_id is None:
        return people[0]
    for citizen in people:
        if citizen.pk == citizen_id:
            return citizen
    raise NotFound(_("No such person among you and your children."), field="citizen_id")


def consent_texts_current() -> dict[str, ConsentText]:
    """The latest published text of each declared purpose."""
    texts: dict[str, ConsentText] = {}
    published = ConsentText.objects.filter(
        purpose__in=list(PURPOSES), published_at__lte=timezone.now()
    ).order_by("purpose", "-version")
    for text in published:
        texts.setdefault(text.purpose, text)
    return texts


def consents_of(*, citizen: Citizen) -> QuerySet[Consent]:
    """Every consent the citizen has given, open or withdrawn, newest first."""
    return Consent.objects.filter(citizen=citizen).select_related("text", "given_by")


def consent_allows(*, citizen: Citizen, purpose: str) -> bool:
    """True when the citizen has an open consent for ``purpose``: call it before you read."""
    return Consent.objects.filter(
        citizen=citizen, purpose=purpose, withdrawn_at__isnull=True
    ).exists()


def consent_require(*, citizen: Citizen, purpose: str) -> None:
    """Raise ``ConsentRequired`` (HTTP 403) unless the citizen consented to ``purpose``."""
    if purpose not in PURPOSES:
        raise ApplicationError(
            _("Unknown consent purpose: %(purpose)s.") % {"purpose": purpose}, field="purpose"
        )
    if not consent_allows(citizen=citizen, purpose=purpose):
        raise ConsentRequired(
            _("%(name)s has not consented to: %(purpose)s.")
            % {"name": citizen.full_name, "purpose": PURPOSES[purpose].label},
            field="purpose",
            extra={"purpose": purpose},
        )


def releases_published() -> QuerySet[Release]:
    return Release.objects.select_related("budget")


def release_get(*, release_id: int) -> Release:
    release = releases_published().filter(pk=release_id).first()
    if release is None:
        raise NotFound(_("There is no release number %(id)s.") % {"id": release_id})
    return release


def dataset_get(*, name: str) -> Dataset:
    dataset = DATASETS.get(name)
    if dataset is None:
        raise ApplicationError(
            _("Unknown dataset %(name)s; choose one of: %(known)s.")
            % {"name": name, "known": ", ".join(DATASETS)},
            field="dataset",
        )
    return dataset


def privacy_amounts_check(*, epsilon: Decimal, delta: Decimal) -> None:
    """Epsilon must be positive, delta in [0, 1), both within the ledger's precision."""
    if not epsilon.is_finite() or epsilon <= 0:
        raise ApplicationError(_("Epsilon must be a positive number."), field="epsilon")
    if epsilon >= EPSILON_LIMIT or epsilon != epsilon.quantize(EPSILON_STEP):
        raise ApplicationError(
            _("Epsilon must be below %(limit)s with at most 6 decimal places.")
            % {"limit": EPSILON_LIMIT},
            field="epsilon",
        )
    if not delta.is_finite() or not 0 <= delta < 1:
        raise ApplicationError(_("Delta must be at least 0 and below 1."), field="delta")
    if delta != delta.quantize(DELTA_STEP):
        raise ApplicationError(_("Delta may have at most 15 decimal places."), field="delta")


def budget_of(*, dataset: Dataset) -> PrivacyBudget:
    """The dataset's budget, or the default one it will get at its first release (unsaved)."""
    return PrivacyBudget.objects.filter(dataset=dataset.name).first() or PrivacyBudget(
        dataset=dataset.name,
        total_epsilon=dataset.default_total_epsilon,
        total_delta=dataset.default_total_delta,
    )


@dataclass(frozen=True)
class ReleasePlan:
    """What a release would cost and how accurate it would be; computed from no data."""

    dataset: Dataset
    epsilon: Decimal
    delta: Decimal
    remaining_epsilon: Decimal
    remaining_delta: Decimal
    cells: int
    noise: dict[str, Noise]

    @property
    def fits(self) -> bool:
        return self.epsilon <= self.remaining_epsilon and self.delta <= self.remaining_delta


def release_plan(*, dataset: str, epsilon: Decimal, delta: Decimal = Decimal(0)) -> ReleasePlan:
    chosen = dataset_get(name=dataset)
    privacy_amounts_check(epsilon=epsilon, delta=delta)
    budget = budget_of(dataset=chosen)
    cells = len(chosen.cells())
    if cells == 0:
        raise ApplicationError(
            _("There are no districts yet, so there is nothing to release."), field="dataset"
        )
    return ReleasePlan(
        dataset=chosen,
        epsilon=epsilon,
        delta=delta,
        remaining_epsilon=budget.remaining_epsilon,
        remaining_delta=budget.remaining_delta,
        cells=cells,
        noise=measure_noise(chosen, cells=cells, epsilon=float(epsilon), delta=float(delta)),
    )
