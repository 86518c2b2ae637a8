"""Applying: eligibility with its reasons, ranked choices, claims, change and withdrawal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from gorod.education import selectors
from gorod.education.models import Application, Kind, PriorityClaim, Round, Territory
from gorod.education.services import (
    ClaimIn,
    application_submit,
    application_update,
    application_withdraw,
    claim_review,
)
from gorod.errors import ApplicationError, Conflict
from gorod.people.models import Citizen, Role
from tests.education.factories import (
    ProgrammeFactory,
    RoundFactory,
    kid_of,
    school_programme,
)
from tests.people.factories import CitizenFactory, OfficialFactory, account, district_official

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The refusals are read in English here; the catalogue has them in Russian too."""
    with translation.override("en"):
        yield


def _family(months: int = 40) -> tuple[Citizen, Citizen]:
    parent = CitizenFactory.create()
    return parent, kid_of(parent, months)


def test_a_guardian_applies_with_ranked_choices() -> None:
    parent, child = _family()
    first, second = ProgrammeFactory.create(), ProgrammeFactory.create()
    application = application_submit(
        round_=RoundFactory.create(),
        child=child,
        user=account(parent),
        programme_ids=[second.pk, first.pk],
    )
    assert application.guardian == parent
    assert [(c.rank, c.programme) for c in application.choices.all()] == [(1, second), (2, first)]
    assert application.status == Application.Status.SUBMITTED


@pytest.mark.parametrize(
    ("months", "fits"),
    [(2, True), (1, False), (83, True), (84, False)],
    ids=["two-months", "one-month", "six-years-eleven", "seven"],
)
def test_kindergarten_takes_children_under_seven(months: int, fits: bool) -> None:
    parent, child = _family(months)
    programme = ProgrammeFactory.create(min_age_months=0, max_age_months=100)
    round_ = RoundFactory.create()
    if fits:
        application_submit(
            round_=round_, child=child, user=account(parent), programme_ids=[programme.pk]
        )
        return
    with pytest.raises(ApplicationError, match="1 September") as refused:
        application_submit(
            round_=round_, child=child, user=account(parent), programme_ids=[programme.pk]
        )
    assert refused.value.field == "child"
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("months", "fits"),
    [(77, False), (78, True), (96, True), (97, False)],
    ids=["six-five", "six-six", "eight", "eight-one"],
)
def test_first_grade_takes_six_and_a_half_to_eight(months: int, fits: bool) -> None:
    parent, child = _family(months)
    programme = school_programme()
    round_ = RoundFactory.create(kind=Kind.SCHOOL, max_choices=5)
    if fits:
        application_submit(
            round_=round_, child=child, user=account(parent), programme_ids=[programme.pk]
        )
    else:
        with pytest.raises(ApplicationError, match="from 6 years 6 months"):
            application_submit(
                round_=round_, child=child, user=account(parent), programme_ids=[programme.pk]
            )


def test_a_child_without_a_moscow_address_is_refused() -> None:
    parent, child = _family()
    Citizen.objects.filter(pk=child.pk).update(apartment=None)
    child.refresh_from_db()
    with pytest.raises(ApplicationError, match="address") as refused:
        application_submit(
            round_=RoundFactory.create(),
            child=child,
            user=account(parent),
            programme_ids=[ProgrammeFactory.create().pk],
        )
    assert refused.value.field == "child"


def test_only_a_guardian_may_apply() -> None:
    _parent, child = _family()
    stranger = CitizenFactory.create()
    with pytest.raises(ApplicationError, match="guardian") as refused:
        application_submit(
            round_=RoundFactory.create(),
            child=child,
            user=account(stranger),
            programme_ids=[ProgrammeFactory.create().pk],
        )
    assert refused.value.field == "child"


def test_a_second_application_in_the_round_is_a_conflict() -> None:
    parent, child = _family()
    round_, programme = RoundFactory.create(), ProgrammeFactory.create()
    application_submit(
        round_=round_, child=child, user=account(parent), programme_ids=[programme.pk]
    )
    with pytest.raises(Conflict):
        application_submit(
            round_=round_, child=child, user=account(parent), programme_ids=[programme.pk]
        )
    assert Application.objects.count() == 1


def test_more_choices_than_the_round_allows_are_refused() -> None:
    parent, child = _family()
    programmes = [ProgrammeFactory.create().pk for _ in range(4)]
    with pytest.raises(ApplicationError) as refused:
        application_submit(
            round_=RoundFactory.create(max_choices=3),
            child=child,
            user=account(parent),
            programme_ids=programmes,
        )
    assert refused.value.field == "choices"


def test_a_programme_for_another_age_is_refused_naming_the_choice() -> None:
    parent, child = _family(40)
    fits, too_old = (
        ProgrammeFactory.create(),
        ProgrammeFactory.create(min_age_months=60, max_age_months=72),
    )
    with pytest.raises(ApplicationError) as refused:
        application_submit(
            round_=RoundFactory.create(),
            child=child,
            user=account(parent),
            programme_ids=[fits.pk, too_old.pk],
        )
    assert refused.value.field == "choices[1]"


def test_a_closed_round_takes_no_application() -> None:
    parent, child = _family()
    with pytest.raises(ApplicationError) as refused:
        application_submit(
            round_=RoundFactory.create(status=Round.Status.CLOSED),
            child=child,
            user=account(parent),
            programme_ids=[ProgrammeFactory.create().pk],
        )
    assert refused.value.field == "round"


def test_a_sibling_claim_must_name_the_institution() -> None:
    parent, child = _family()
    with pytest.raises(ApplicationError) as refused:
        application_submit(
            round_=RoundFactory.create(),
            child=child,
            user=account(parent),
            programme_ids=[ProgrammeFactory.create().pk],
            claims=[ClaimIn(category="sibling")],
        )
    assert refused.value.field == "claims[0].institution"


def test_a_family_changes_and_withdraws_and_applies_again() -> None:
    parent, child = _family()
    round_ = RoundFactory.create()
    first, second = ProgrammeFactory.create(), ProgrammeFactory.create()
    application = application_submit(
        round_=round_, child=child, user=account(parent), programme_ids=[first.pk]
    )
    application_update(
        application=application,
        user=account(parent),
        programme_ids=[second.pk, first.pk],
        claims=[ClaimIn(category="priority", document="справка № 1")],
    )
    assert [c.programme for c in application.choices.all()] == [second, first]
    assert application.claims.get().document_status == PriorityClaim.Document.PENDING
    application_withdraw(application=application, user=account(parent))
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    again = application_submit(
        round_=round_, child=child, user=account(parent), programme_ids=[first.pk]
    )
    assert again.pk == application.pk
    assert again.status == Application.Status.SUBMITTED


def _groups(application: Application) -> dict[int, int]:
    source = selectors.round_input(round_=application.round, stage=selectors.Stage.FRESH)
    [entry] = source.document["applicants"]
    return {int(key[1:]): group for key, group in entry["priority"].items()}


def test_priority_groups_come_from_territory_and_verified_rights() -> None:
    parent, child = _family()
    assert child.apartment is not None
    home, other = ProgrammeFactory.create(), ProgrammeFactory.create()
    Territory.objects.create(institution=home.institution, building=child.apartment.building)
    application = application_submit(
        round_=RoundFactory.create(),
        child=child,
        user=account(parent),
        programme_ids=[home.pk, other.pk],
        claims=[ClaimIn(category="sibling", institution_id=other.institution_id)],
    )
    assert _groups(application) == {home.pk: 4, other.pk: 9}  # a pending claim counts nothing
    claim = application.claims.get()
    admin = OfficialFactory.create(role=Role.SCHOOL_ADMIN, institution=other.institution)
    claim_review(claim=claim, user=admin.user, verified=True)
    assert _groups(application) == {home.pk: 4, other.pk: 7}


def test_only_an_official_in_scope_verifies_a_claim() -> None:
    from django.core.exceptions import PermissionDenied

    parent, child = _family()
    application = application_submit(
        round_=RoundFactory.create(),
        child=child,
        user=account(parent),
        programme_ids=[ProgrammeFactory.create().pk],
        claims=[ClaimIn(category="extraordinary")],
    )
    claim = application.claims.get()
    with pytest.raises(PermissionDenied):
        claim_review(
            claim=claim, user=district_official(Role.EDUCATION_OFFICER).user, verified=True
        )
    assert child.apartment is not None
    officer = district_official(Role.EDUCATION_OFFICER, district=child.apartment.building.district)
    claim_review(claim=claim, user=officer.user, verified=False)
    claim.refresh_from_db()
    assert claim.document_status == PriorityClaim.Document.REJECTED
