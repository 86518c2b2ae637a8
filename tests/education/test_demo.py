"""The demo city's enrolment: run and published rounds, the demo family, idempotence."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from gorod.education import selectors
from gorod.education.demo import demo_prepare
from gorod.education.models import Application, Kind, Offer, Programme, Round
from gorod.people.demo import CITIZEN_EMAIL, demo_accounts_create
from gorod.people.models import Role, User
from tests.people.factories import OfficialFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def city() -> None:
    call_command(
        "seed", "--citizens", "250", "--no-boundaries", "--no-demo-accounts", stdout=StringIO()
    )
    demo_accounts_create()
    demo_prepare(seed=2026, stdout=StringIO())


def _snapshot() -> list[tuple[str, int, int | None]]:
    return list(
        Application.objects.order_by("pk").values_list("round__kind", "child_id", "assigned_id")
    )


def test_the_kindergarten_and_first_grade_rounds_are_published(city: None) -> None:
    published = Round.objects.filter(status=Round.Status.PUBLISHED)
    assert sorted(published.values_list("kind", flat=True)) == [Kind.KINDERGARTEN, Kind.SCHOOL]
    assert Round.objects.get(kind=Kind.CLUB).status == Round.Status.OPEN
    for round_ in published:
        assert round_.runs.count() == 1
        assert round_.applications.filter(assigned__isnull=False).exists()


def test_the_demo_family_has_a_kindergarten_result_and_a_club_application(city: None) -> None:
    user = User.objects.get(email=CITIZEN_EMAIL)
    by_kind = {a.round.kind: a for a in selectors.applications_for(user)}
    assert set(by_kind) == {Kind.KINDERGARTEN, Kind.CLUB}
    assert by_kind[Kind.KINDERGARTEN].status in {
        Application.Status.ADMITTED,
        Application.Status.WAITLISTED,
    }
    assert by_kind[Kind.CLUB].status == Application.Status.SUBMITTED


def test_a_school_administrator_sees_the_live_offers_of_their_school_only(city: None) -> None:
    school = Offer.objects.filter(programme__kind=Kind.SCHOOL).first()
    assert school is not None
    institution = school.programme.institution
    official = OfficialFactory.create(role=Role.SCHOOL_ADMIN, institution=institution)
    listed = selectors.admitted_list(user=official.user, institution=institution)
    live = Offer.objects.filter(programme__institution=institution, status="offered")
    assert set(listed) == set(live)
    other = Offer.objects.exclude(programme__institution=institution).first()
    assert other is not None
    elsewhere = other.programme.institution
    assert not selectors.admitted_list(user=official.user, institution=elsewhere).exists()


def test_preparing_again_changes_nothing(city: None) -> None:
    before = (_snapshot(), Programme.objects.count())
    demo_prepare(seed=2026, stdout=StringIO())
    assert (_snapshot(), Programme.objects.count()) == before
