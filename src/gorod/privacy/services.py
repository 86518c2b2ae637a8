"""Writes: consent given and withdrawn, the personal-data export, open-data releases.

Each is one transaction with its audit event (``gorod.ledger.services.record``) inside it,
so an act and its entry in the transparency log exist together or not at all. A consent act
is the citizen's own: its log entry is keyed by a fresh secret that goes only into the
receipt returned to the caller, so the citizen alone can later prove the act is in the log.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, Conflict
from gorod.ledger.selectors import receipt_for
from gorod.ledger.services import record
from gorod.people.models import Citizen, User
from gorod.privacy.datasets import build
from gorod.privacy.export import write_archive
from gorod.privacy.models import Consent, PrivacyBudget, Release, amount_text
from gorod.privacy.purposes import PURPOSES
from gorod.privacy.selectors import (
    budget_of,
    consent_texts_current,
    dataset_get,
    privacy_amounts_check,
    release_plan,
)


class BudgetExhausted(Conflict):
    """The release would spend more privacy budget than the dataset has left."""


RECEIPT_SECRET_BYTES = 32


@dataclass(frozen=True)
class ConsentAct:
    """A consent given or withdrawn, and the receipt of that act (shown once, never kept)."""

    consent: Consent
    receipt: dict[str, Any]


def _consent_recorded(
    *, consent: Consent, actor: User | None, action: str, citizen: Citizen
) -> ConsentAct:
    secret = secrets.token_bytes(RECEIPT_SECRET_BYTES)
    event = record(
        actor=actor,
        action=action,
        subject=citizen,
        purpose="consent management",
        detail={"purpose": consent.purpose, "version": consent.text.version},
        receipt_secret=secret,
    )
    return ConsentAct(consent=consent, receipt=receipt_for(event=event, secret=secret))


def _purpose_check(purpose: str) -> None:
    if purpose not in PURPOSES:
        raise ApplicationError(
            _("Unknown consent purpose: %(purpose)s.") % {"purpose": purpose}, field="purpose"
        )


def _open_consent_locked(citizen: Citizen, purpose: str) -> Consent | None:
    return (
        Consent.objects.select_for_update()
        .filter(citizen=citizen, purpose=purpose, withdrawn_at__isnull=True)
        .first()
    )


@transaction.atomic
def consent_give(
    *, citizen: Citizen, purpose: str, version: int, actor: User | None = None
) -> ConsentAct:
    """Record consent to the current text of ``purpose``; a consent to an older text of the
    same purpose is closed and replaced. Returns the consent and the act's receipt."""
    _purpose_check(purpose)
    current = consent_texts_current().get(purpose)
    if current is None:
        raise Conflict(_("No text has been published for this purpose yet."), field="purpose")
    if version != current.version:
        raise Conflict(
            _("Version %(version)s is not the current text (version %(current)s); read it again.")
            % {"version": version, "current": current.version},
            field="version",
        )
    actor = actor or citizen.user
    now = timezone.now()
    previous = _open_consent_locked(citizen, purpose)
    if previous is not None:
        if previous.text_id == current.pk:
            raise Conflict(_("This consent has already been given."), field="purpose")
        previous.withdrawn_at = now
        previous.save(update_fields=["withdrawn_at"])
    try:
        with transaction.atomic():
            consent = Consent.objects.create(
                citizen=citizen, purpose=purpose, text=current, given_by=actor, given_at=now
            )
    except IntegrityError as exc:
        raise Conflict(_("This consent has already been given."), field="purpose") from exc
    return _consent_recorded(
        consent=consent, actor=actor, action="privacy.consent.give", citizen=citizen
    )


@transaction.atomic
def consent_withdraw(*, citizen: Citizen, purpose: str, actor: User | None = None) -> ConsentAct:
    """Close the citizen's open consent to ``purpose`` from now on; returns it and the act's
    receipt."""
    _purpose_check(purpose)
    consent = _open_consent_locked(citizen, purpose)
    if consent is None:
        raise Conflict(_("There is no consent to withdraw for this purpose."), field="purpose")
    actor = actor or citizen.user
    consent.withdrawn_at = timezone.now()
    consent.save(update_fields=["withdrawn_at"])
    return _consent_recorded(
        consent=consent, actor=actor, action="privacy.consent.withdraw", citizen=citizen
    )


@transaction.atomic
def export_create(*, actor: User, citizen: Citizen, out: IO[bytes]) -> list[str]:
    """Write everything the platform holds about ``citizen`` and their children to ``out``
    as a ZIP of JSON files; one audit event per person exported."""
    if citizen.user_id != actor.pk:
        raise PermissionDenied(_("Only the citizen themselves may export their data."))
    children = list(Citizen.objects.filter(guardians__guardian=citizen).order_by("pk"))
    subjects = [("self", citizen), *((f"child-{child.pk}", child) for child in children)]
    manifest = {
        "generated_at": timezone.now(),
        "subjects": [
            {"folder": folder, "id": person.pk, "name": person.full_name}
            for folder, person in subjects
        ],
    }
    files = write_archive(subjects, out, manifest)
    for folder, person in subjects:
        record(
            actor=actor,
            action="privacy.export",
            subject=person,
            purpose="data subject access request",
            detail={"requested_by_citizen": citizen.pk, "folder": folder, "files": len(files)},
        )
    return files


@transaction.atomic
def release_publish(
    *,
    dataset: str,
    epsilon: Decimal,
    delta: Decimal = Decimal(0),
    actor: User | None = None,
    day: dt.date | None = None,
) -> Release:
    """Spend (epsilon, delta) of the dataset's budget on a new noisy table, or refuse."""
    chosen = release_plan(dataset=dataset, epsilon=epsilon, delta=delta).dataset
    default = budget_of(dataset=chosen)
    budget, _created = PrivacyBudget.objects.get_or_create(
        dataset=chosen.name,
        defaults={"total_epsilon": default.total_epsilon, "total_delta": default.total_delta},
    )
    budget = PrivacyBudget.objects.select_for_update().get(pk=budget.pk)
    for field, what, asked, left in (
        ("epsilon", _("epsilon"), epsilon, budget.remaining_epsilon),
        ("delta", _("delta"), delta, budget.remaining_delta),
    ):
        if asked > left:
            raise BudgetExhausted(
                _("Asked for %(what)s %(asked)s, but the budget of %(dataset)s has %(left)s left.")
                % {"what": what, "asked": asked, "dataset": chosen.name, "left": left},
                field=field,
                extra={f"remaining_{field}": str(left)},
            )
    built = build(chosen, epsilon=float(epsilon), delta=float(delta), day=day)
    release = Release.objects.create(
        budget=budget,
        epsilon=epsilon,
        delta=delta,
        mechanism=next(iter(built.accuracy.values()))["mechanism"],
        created_by=actor,
        parameters=built.parameters,
        table={"columns": built.columns, "rows": built.rows},
        accuracy=built.accuracy,
    )
    PrivacyBudget.objects.filter(pk=budget.pk).update(
        spent_epsilon=F("spent_epsilon") + epsilon, spent_delta=F("spent_delta") + delta
    )
    record(
        actor=actor,
        action="privacy.release",
        subject=None,
        purpose="open data with differential privacy",
        detail={
            "dataset": chosen.name,
            "release": release.pk,
            "epsilon": str(epsilon),
            "delta": str(delta),
        },
    )
    return release


@transaction.atomic
def budget_set(
    *, dataset: str, total_epsilon: Decimal, total_delta: Decimal, actor: User | None
) -> PrivacyBudget:
    """Set a dataset's total budget; it can never drop below what releases have spent."""
    chosen = dataset_get(name=dataset)
    privacy_amounts_check(epsilon=total_epsilon, delta=total_delta)
    budget = PrivacyBudget.objects.select_for_update().filter(dataset=chosen.name).first()
    budget = budget or budget_of(dataset=chosen)
    for field, what, total, spent in (
        ("total_epsilon", _("total epsilon"), total_epsilon, budget.spent_epsilon),
        ("total_delta", _("total delta"), total_delta, budget.spent_delta),
    ):
        if total < spent:
            raise ApplicationError(
                _("The budget (%(what)s) cannot be less than what is already spent: %(spent)s.")
                % {"what": what, "spent": amount_text(spent)},
                field=field,
            )
    previous = {"total_epsilon": str(budget.total_epsilon), "total_delta": str(budget.total_delta)}
    budget.total_epsilon = total_epsilon
    budget.total_delta = total_delta
    budget.save()
    record(
        actor=actor,
        action="privacy.budget.set",
        subject=None,
        purpose="privacy budget of open data",
        detail={
            "dataset": chosen.name,
            "before": previous,
            "after": {"total_epsilon": str(total_epsilon), "total_delta": str(total_delta)},
        },
    )
    return budget
