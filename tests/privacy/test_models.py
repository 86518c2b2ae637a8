"""The invariants the database keeps whatever the code does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gorod.privacy.models import Consent, ConsentText, PrivacyBudget, amount_text
from gorod.privacy.purposes import PURPOSES
from tests.people.factories import CitizenFactory
from tests.privacy.factories import budget_create

pytestmark = pytest.mark.django_db


def _text(purpose: str = "research.health") -> ConsentText:
    return ConsentText.objects.get(purpose=purpose, version=1)


def test_the_first_version_of_every_purpose_is_published_by_migration() -> None:
    published = set(ConsentText.objects.filter(version=1).values_list("purpose", flat=True))
    assert published == set(PURPOSES)


def test_a_citizen_has_at_most_one_open_consent_per_purpose() -> None:
    citizen = CitizenFactory.create()
    Consent.objects.create(citizen=citizen, purpose="research.health", text=_text())
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(citizen=citizen, purpose="research.health", text=_text())


def test_a_withdrawn_consent_does_not_block_a_new_one() -> None:
    citizen = CitizenFactory.create()
    now = timezone.now()
    Consent.objects.create(
        citizen=citizen, purpose="research.health", text=_text(), given_at=now, withdrawn_at=now
    )
    Consent.objects.create(citizen=citizen, purpose="research.health", text=_text())
    assert Consent.objects.filter(citizen=citizen).count() == 2


def test_a_consent_cannot_be_withdrawn_before_it_was_given() -> None:
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(
            citizen=CitizenFactory.create(),
            purpose="research.health",
            text=_text(),
            given_at=now,
            withdrawn_at=now - dt.timedelta(seconds=1),
        )


def test_a_text_version_is_published_once_per_purpose() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentText.objects.create(purpose="research.health", version=1, text_ru="x", text_en="x")


def test_the_spent_budget_can_never_exceed_the_total() -> None:
    budget = budget_create(total_epsilon=Decimal(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        PrivacyBudget.objects.filter(pk=budget.pk).update(spent_epsilon=Decimal("1.000001"))


def test_the_spent_delta_can_never_exceed_the_total() -> None:
    budget = budget_create(total_delta=Decimal("0.000001"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PrivacyBudget.objects.filter(pk=budget.pk).update(spent_delta=Decimal("0.000002"))


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("10.000000", "10"), ("0.500000", "0.5"), ("0.000001000000000", "0.000001"), ("0E-6", "0")],
)
def test_budget_amounts_are_shown_without_trailing_zeros_or_exponents(
    stored: str, shown: str
) -> None:
    assert amount_text(Decimal(stored)) == shown
