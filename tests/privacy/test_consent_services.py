"""Giving and withdrawing consent, and the check other services make before they read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gorod.errors import ApplicationError, Conflict
from gorod.ledger.models import AuditEvent
from gorod.privacy.models import Consent
from gorod.privacy.selectors import (
    ConsentRequired,
    consent_allows,
    consent_require,
    consent_texts_current,
)
from gorod.privacy.services import consent_give, consent_withdraw
from tests.people.factories import CitizenFactory, child_of
from tests.privacy.factories import consent_text_publish

pytestmark = pytest.mark.django_db

PURPOSE = "research.health"


def test_giving_consent_allows_the_purpose() -> None:
    citizen = CitizenFactory.create()
    consent_give(citizen=citizen, purpose=PURPOSE, version=1)
    assert consent_allows(citizen=citizen, purpose=PURPOSE)


def test_consent_to_one_purpose_does_not_allow_another() -> None:
    citizen = CitizenFactory.create()
    consent_give(citizen=citizen, purpose=PURPOSE, version=1)
    assert not consent_allows(citizen=citizen, purpose="notifications.email")


def test_giving_consent_records_who_gave_it_and_an_audit_event() -> None:
    citizen = CitizenFactory.create()
    consent = consent_give(citizen=citizen, purpose=PURPOSE, version=1).consent
    assert consent.given_by == citizen.user
    event = AuditEvent.objects.get(action="privacy.consent.give", subject=citizen)
    assert event.actor == citizen.user
    assert event.detail == {"purpose": PURPOSE, "version": 1}


def test_a_guardian_gives_consent_for_a_child() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    consent = consent_give(citizen=child, purpose=PURPOSE, version=1, actor=parent.user).consent
    assert consent.given_by == parent.user
    assert consent_allows(citizen=child, purpose=PURPOSE)
    assert not consent_allows(citizen=parent, purpose=PURPOSE)


def test_giving_the_same_consent_twice_is_a_conflict() -> None:
    citizen = CitizenFactory.create()
    consent_give(citizen=citizen, purpose=PURPOSE, version=1)
    with pytest.raises(Conflict) as raised:
        consent_give(citizen=citizen, purpose=PURPOSE, version=1)
    assert raised.value.field == "purpose"
    assert Consent.objects.filter(citizen=citizen).count() == 1


def test_consent_to_a_replaced_text_is_refused_and_changes_nothing() -> None:
    citizen = CitizenFactory.create()
    consent_text_publish(purpose=PURPOSE, version=2)
    with pytest.raises(ApplicationError) as raised:
        consent_give(citizen=citizen, purpose=PURPOSE, version=1)
    assert raised.value.field == "version"
    assert not Consent.objects.filter(citizen=citizen).exists()
    assert not AuditEvent.objects.filter(subject=citizen).exists()


def test_a_text_published_in_the_future_is_not_yet_current() -> None:
    consent_text_publish(
        purpose=PURPOSE, version=2, published_at=timezone.now() + dt.timedelta(days=1)
    )
    assert consent_texts_current()[PURPOSE].version == 1


def test_agreeing_to_a_new_version_closes_the_consent_to_the_old_one() -> None:
    citizen = CitizenFactory.create()
    old = consent_give(citizen=citizen, purpose=PURPOSE, version=1).consent
    consent_text_publish(purpose=PURPOSE, version=2)
    new = consent_give(citizen=citizen, purpose=PURPOSE, version=2).consent
    old.refresh_from_db()
    assert old.withdrawn_at == new.given_at
    assert new.is_open
    assert new.text.version == 2


def test_an_unknown_purpose_is_refused() -> None:
    with pytest.raises(ApplicationError) as raised:
        consent_give(citizen=CitizenFactory.create(), purpose="marketing.spam", version=1)
    assert raised.value.field == "purpose"


def test_withdrawing_ends_the_consent_and_keeps_its_history() -> None:
    citizen = CitizenFactory.create()
    given = consent_give(citizen=citizen, purpose=PURPOSE, version=1).consent
    withdrawn = consent_withdraw(citizen=citizen, purpose=PURPOSE).consent
    assert withdrawn.pk == given.pk
    assert withdrawn.withdrawn_at is not None
    assert not consent_allows(citizen=citizen, purpose=PURPOSE)
    assert AuditEvent.objects.filter(action="privacy.consent.withdraw", subject=citizen).exists()


def test_consent_may_be_given_again_after_withdrawal() -> None:
    citizen = CitizenFactory.create()
    consent_give(citizen=citizen, purpose=PURPOSE, version=1)
    consent_withdraw(citizen=citizen, purpose=PURPOSE)
    consent_give(citizen=citizen, purpose=PURPOSE, version=1)
    assert consent_allows(citizen=citizen, purpose=PURPOSE)
    assert Consent.objects.filter(citizen=citizen).count() == 2


def test_withdrawing_a_consent_never_given_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        consent_withdraw(citizen=CitizenFactory.create(), purpose=PURPOSE)


def test_consent_require_passes_with_consent() -> None:
    citizen = CitizenFactory.create()
    consent_give(citizen=citizen, purpose=PURPOSE, version=1)
    consent_require(citizen=citizen, purpose=PURPOSE)


def test_consent_require_refuses_with_403_without_consent() -> None:
    citizen = CitizenFactory.create()
    with pytest.raises(ConsentRequired) as raised:
        consent_require(citizen=citizen, purpose=PURPOSE)
    assert raised.value.status == 403
    assert raised.value.extra == {"purpose": PURPOSE}


def test_consent_require_refuses_after_withdrawal() -> None:
    citizen = CitizenFactory.create()
    consent_give(citizen=citizen, purpose=PURPOSE, version=1)
    consent_withdraw(citizen=citizen, purpose=PURPOSE)
    with pytest.raises(ConsentRequired):
        consent_require(citizen=citizen, purpose=PURPOSE)


def test_consent_require_refuses_an_undeclared_purpose() -> None:
    with pytest.raises(ApplicationError) as raised:
        consent_require(citizen=CitizenFactory.create(), purpose="nothing.declared")
    assert raised.value.status == 400
