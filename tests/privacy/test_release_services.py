"""Publishing releases: exact budget accounting, refusal that changes nothing, the audit."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from gorod.errors import ApplicationError
from gorod.ledger.models import AuditEvent
from gorod.privacy.models import PrivacyBudget, Release
from gorod.privacy.selectors import release_plan
from gorod.privacy.services import BudgetExhausted, budget_set, release_publish
from tests.people.factories import CitizenFactory, city_official
from tests.places.factories import DistrictFactory
from tests.privacy.factories import budget_create

pytestmark = pytest.mark.django_db

DATASET = "residents_by_district"


@pytest.fixture(autouse=True)
def _districts() -> None:
    DistrictFactory.create_batch(3)


def test_a_release_spends_its_epsilon_from_the_budget() -> None:
    budget_create(total_epsilon=Decimal(1))
    release = release_publish(dataset=DATASET, epsilon=Decimal("0.25"))
    budget = PrivacyBudget.objects.get(dataset=DATASET)
    assert budget.spent_epsilon == Decimal("0.25")
    assert release.epsilon == Decimal("0.25")
    assert release.budget == budget


def test_a_first_release_creates_the_budget_with_the_dataset_default() -> None:
    release_publish(dataset=DATASET, epsilon=Decimal("0.5"))
    budget = PrivacyBudget.objects.get(dataset=DATASET)
    assert budget.total_epsilon == Decimal(3)
    assert budget.spent_epsilon == Decimal("0.5")


def test_a_release_has_one_row_per_district_and_its_accuracy() -> None:
    release = release_publish(dataset=DATASET, epsilon=Decimal("0.5"))
    assert release.table["columns"] == ["okato", "district", "residents"]
    assert len(release.table["rows"]) == 3
    noise = release.accuracy["residents"]
    assert noise["mechanism"] == "discrete Laplace"
    assert noise["plus_minus"] > 0
    assert noise["confidence"] == 0.95


def test_releases_spend_the_budget_to_the_last_millionth_exactly() -> None:
    budget_create(total_epsilon=Decimal(1))
    for _ in range(10):
        release_publish(dataset=DATASET, epsilon=Decimal("0.1"))
    budget = PrivacyBudget.objects.get(dataset=DATASET)
    assert budget.spent_epsilon == budget.total_epsilon
    with pytest.raises(BudgetExhausted):
        release_publish(dataset=DATASET, epsilon=Decimal("0.000001"))


def test_a_refused_release_changes_nothing() -> None:
    budget_create(total_epsilon=Decimal(1))
    release_publish(dataset=DATASET, epsilon=Decimal("0.75"))
    events_before = AuditEvent.objects.count()
    with pytest.raises(BudgetExhausted) as raised:
        release_publish(dataset=DATASET, epsilon=Decimal("0.5"))
    assert raised.value.field == "epsilon"
    assert raised.value.extra == {"remaining_epsilon": "0.250000"}
    assert Release.objects.count() == 1
    assert PrivacyBudget.objects.get(dataset=DATASET).spent_epsilon == Decimal("0.75")
    assert AuditEvent.objects.count() == events_before


def test_a_release_with_delta_spends_delta_and_uses_gaussian_noise() -> None:
    budget_create(total_delta=Decimal("0.000002"))
    release = release_publish(dataset=DATASET, epsilon=Decimal("0.5"), delta=Decimal("0.000001"))
    assert release.mechanism == "discrete Gaussian"
    assert PrivacyBudget.objects.get(dataset=DATASET).spent_delta == Decimal("0.000001")


def test_a_release_asking_more_delta_than_is_left_is_refused() -> None:
    budget_create(total_delta=Decimal("0.000001"))
    with pytest.raises(BudgetExhausted) as raised:
        release_publish(dataset=DATASET, epsilon=Decimal("0.5"), delta=Decimal("0.00001"))
    assert raised.value.field == "delta"
    assert not Release.objects.exists()


def test_a_release_is_an_audit_event_in_the_transparency_log() -> None:
    official = city_official()
    release = release_publish(dataset=DATASET, epsilon=Decimal("0.5"), actor=official.user)
    event = AuditEvent.objects.get(action="privacy.release")
    assert event.detail["release"] == release.pk
    assert event.detail["epsilon"] == "0.5"
    assert event.subject is None


def test_two_releases_of_the_same_data_differ() -> None:
    for _ in range(30):
        CitizenFactory.create()
    first = release_publish(dataset=DATASET, epsilon=Decimal("0.1"))
    second = release_publish(dataset=DATASET, epsilon=Decimal("0.1"))
    assert first.table["rows"] != second.table["rows"]


@pytest.mark.parametrize(
    ("epsilon", "delta", "field"),
    [
        (Decimal(0), Decimal(0), "epsilon"),
        (Decimal(-1), Decimal(0), "epsilon"),
        (Decimal("0.0000001"), Decimal(0), "epsilon"),
        (Decimal("NaN"), Decimal(0), "epsilon"),
        (Decimal("0.5"), Decimal(1), "delta"),
        (Decimal("0.5"), Decimal("1e-20"), "delta"),
    ],
)
def test_bad_privacy_parameters_are_refused_naming_the_field(
    epsilon: Decimal, delta: Decimal, field: str
) -> None:
    with pytest.raises(ApplicationError) as raised:
        release_publish(dataset=DATASET, epsilon=epsilon, delta=delta)
    assert raised.value.field == field
    assert not Release.objects.exists()


def test_an_unknown_dataset_is_refused() -> None:
    with pytest.raises(ApplicationError) as raised:
        release_publish(dataset="everyone_by_name", epsilon=Decimal("0.5"))
    assert raised.value.field == "dataset"


def test_the_plan_tells_the_accuracy_and_spends_nothing() -> None:
    plan = release_plan(dataset="household_size_by_district", epsilon=Decimal(1))
    assert set(plan.noise) == {"households", "household_members"}
    assert plan.noise["household_members"].plus_minus > plan.noise["households"].plus_minus
    assert plan.fits
    assert not PrivacyBudget.objects.exists()


def test_the_plan_says_when_the_budget_cannot_pay() -> None:
    budget_create(total_epsilon=Decimal("0.1"))
    assert not release_plan(dataset=DATASET, epsilon=Decimal("0.2")).fits


def test_the_total_budget_can_be_raised_and_is_logged() -> None:
    official = city_official()
    budget_set(
        dataset=DATASET, total_epsilon=Decimal(5), total_delta=Decimal(0), actor=official.user
    )
    assert PrivacyBudget.objects.get(dataset=DATASET).total_epsilon == Decimal(5)
    event = AuditEvent.objects.get(action="privacy.budget.set")
    assert event.detail["after"]["total_epsilon"] == "5"


def test_the_total_budget_cannot_drop_below_what_is_spent() -> None:
    release_publish(dataset=DATASET, epsilon=Decimal(1))
    with pytest.raises(ApplicationError) as raised:
        budget_set(
            dataset=DATASET, total_epsilon=Decimal("0.5"), total_delta=Decimal(0), actor=None
        )
    assert raised.value.field == "total_epsilon"
    assert PrivacyBudget.objects.get(dataset=DATASET).total_epsilon == Decimal(3)


@pytest.mark.django_db(transaction=True)
def test_concurrent_releases_never_spend_more_than_the_budget() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the in-memory SQLite test database is not shared between connections")
    DistrictFactory.create_batch(2)
    budget_create(total_epsilon=Decimal(1))
    outcomes: list[str] = []

    def release() -> None:
        try:
            release_publish(dataset=DATASET, epsilon=Decimal("0.3"))
            outcomes.append("released")
        except BudgetExhausted:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=release) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 3 + ["released"] * 3
    assert PrivacyBudget.objects.get(dataset=DATASET).spent_epsilon == Decimal("0.9")
    assert Release.objects.count() == 3
