"""The back office: who sees consents, who sets budgets, and that releases stay as published."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from django.test import Client
from django.urls import reverse

from gorod.ledger.models import AuditEvent
from gorod.people.models import Official, Role
from gorod.privacy.models import PrivacyBudget
from gorod.privacy.services import consent_give, release_publish
from tests.people.factories import CitizenFactory, OfficialFactory, city_official, district_official
from tests.places.factories import DistrictFactory
from tests.privacy.factories import budget_create

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

pytestmark = pytest.mark.django_db


def _as(client: Client, official: Official) -> Client:
    client.force_login(official.user)
    return client


def _budget_change(
    client: Client, budget: PrivacyBudget, total_epsilon: str
) -> _MonkeyPatchedWSGIResponse:
    return client.post(
        reverse("admin:privacy_privacybudget_change", args=[budget.pk]),
        {"total_epsilon": total_epsilon, "total_delta": "0.000001"},
    )


def test_an_auditor_reads_consents(client: Client) -> None:
    consent = consent_give(
        citizen=CitizenFactory.create(), purpose="research.health", version=1
    ).consent
    client = _as(client, city_official(Role.AUDITOR))
    assert client.get(reverse("admin:privacy_consent_changelist")).status_code == 200
    page = client.get(reverse("admin:privacy_consent_change", args=[consent.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_nobody_changes_or_deletes_a_consent_in_the_back_office(client: Client) -> None:
    consent = consent_give(
        citizen=CitizenFactory.create(), purpose="research.health", version=1
    ).consent
    client = _as(client, city_official(Role.CITY_ADMIN))
    response = client.post(
        reverse("admin:privacy_consent_delete", args=[consent.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_an_institution_official_does_not_see_consents(client: Client) -> None:
    client = _as(client, OfficialFactory.create())
    assert client.get(reverse("admin:privacy_consent_changelist")).status_code == 403


def test_an_analyst_sets_a_budget_total_and_it_is_logged(client: Client) -> None:
    budget_create(total_epsilon=Decimal(1))
    budget = PrivacyBudget.objects.get()
    response = _budget_change(_as(client, district_official(Role.ANALYST)), budget, "4")
    assert response.status_code == 302
    budget.refresh_from_db()
    assert budget.total_epsilon == Decimal(4)
    assert AuditEvent.objects.filter(action="privacy.budget.set").exists()


def test_a_city_admin_adds_a_budget_for_a_dataset(client: Client) -> None:
    client = _as(client, city_official(Role.CITY_ADMIN))
    response = client.post(
        reverse("admin:privacy_privacybudget_add"),
        {"dataset": "household_size_by_district", "total_epsilon": "2", "total_delta": "0"},
    )
    assert response.status_code == 302
    assert PrivacyBudget.objects.get(dataset="household_size_by_district").total_epsilon == 2


def test_a_budget_total_below_what_is_spent_is_refused_on_the_form(client: Client) -> None:
    DistrictFactory.create()
    release_publish(dataset="residents_by_district", epsilon=Decimal(2))
    budget = PrivacyBudget.objects.get()
    response = _budget_change(_as(client, city_official(Role.CITY_ADMIN)), budget, "1")
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    budget.refresh_from_db()
    assert budget.total_epsilon == Decimal(3)


def test_an_auditor_does_not_set_budgets(client: Client) -> None:
    client = _as(client, city_official(Role.AUDITOR))
    assert client.get(reverse("admin:privacy_privacybudget_changelist")).status_code == 403


def test_a_release_is_read_only_in_the_back_office(client: Client) -> None:
    DistrictFactory.create()
    release = release_publish(dataset="residents_by_district", epsilon=Decimal("0.5"))
    client = _as(client, district_official(Role.ANALYST))
    page = client.get(reverse("admin:privacy_release_change", args=[release.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
