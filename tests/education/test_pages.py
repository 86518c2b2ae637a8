"""Pages: apply, the application with its result, rounds, the admitted list, demand."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from gorod.education.models import Application, Offer
from gorod.education.services import ClaimIn, application_submit
from gorod.ledger.models import AuditEvent
from gorod.people.models import Citizen, Role, User
from tests.education.factories import ProgrammeFactory, RoundFactory, decided_round, kid_of
from tests.people.factories import CitizenFactory, OfficialFactory, account, district_official

pytestmark = pytest.mark.django_db


def _as(client: Client, user: User, language: str = "ru") -> Client:
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def _family() -> tuple[Citizen, Citizen]:
    parent = CitizenFactory.create()
    return parent, kid_of(parent)


@pytest.mark.parametrize(
    ("language", "heading"),
    [("ru", "Детские сады, школы и кружки"), ("en", "Kindergartens, schools and clubs")],
    ids=["ru", "en"],
)
def test_the_apply_page_offers_the_open_round_for_each_child(
    client: Client, language: str, heading: str
) -> None:
    parent, child = _family()
    round_ = RoundFactory.create()
    content = _as(client, account(parent), language).get(reverse("education:apply")).content
    text = content.decode()
    assert heading in text
    assert reverse("education:apply-form", args=[child.pk, round_.pk]) in text


def test_applying_on_the_page_submits_and_shows_the_application(client: Client) -> None:
    parent, child = _family()
    round_ = RoundFactory.create()
    first, second = ProgrammeFactory.create(), ProgrammeFactory.create()
    url = reverse("education:apply-form", args=[child.pk, round_.pk])
    response = _as(client, account(parent)).post(
        url, {"choice_1": second.pk, "choice_2": first.pk, "priority": "on", "document": "№ 5"}
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("education:application", args=[application.pk])
    assert [c.programme for c in application.choices.all()] == [second, first]
    assert application.claims.get().category == "priority"


def test_a_gap_in_the_choices_is_refused_and_nothing_is_saved(client: Client) -> None:
    parent, child = _family()
    round_ = RoundFactory.create()
    programme = ProgrammeFactory.create()
    url = reverse("education:apply-form", args=[child.pk, round_.pk])
    response = _as(client, account(parent)).post(url, {"choice_2": programme.pk})
    assert response.status_code == 400
    assert not Application.objects.exists()


def test_an_ineligible_child_sees_the_reason_instead_of_the_form(client: Client) -> None:
    parent = CitizenFactory.create()
    child = kid_of(parent, 90)
    round_ = RoundFactory.create()
    response = _as(client, account(parent), "en").get(
        reverse("education:apply-form", args=[child.pk, round_.pk])
    )
    assert "this round takes children from 0 years 2 months" in response.content.decode()
    assert b'name="choice_1"' not in response.content


def test_another_familys_child_is_not_found(client: Client) -> None:
    _parent, child = _family()
    round_ = RoundFactory.create()
    response = _as(client, account(CitizenFactory.create())).get(
        reverse("education:apply-form", args=[child.pk, round_.pk])
    )
    assert response.status_code == 404


def test_the_result_page_explains_why_not_with_the_cutoff(client: Client) -> None:
    _round, popular, applications = decided_round()
    loser = next(a for a in applications if a.assigned != popular)
    text = (
        _as(client, account(loser.guardian), "en")
        .get(reverse("education:application", args=[loser.pk]))
        .content.decode()
    )
    assert "lottery number above the cutoff" in text
    assert "Accept the place" in text


def test_declining_on_the_page_passes_the_place_on(client: Client) -> None:
    _round, popular, applications = decided_round()
    holder = next(a for a in applications if a.assigned == popular)
    offer = Offer.objects.get(application=holder, status="offered")
    response = _as(client, account(holder.guardian)).post(
        reverse("education:offer-answer", args=[offer.pk]), {"answer": "decline"}
    )
    assert response.status_code == 302
    assert Application.objects.filter(assigned=popular).exclude(pk=holder.pk).count() == 1


def test_the_rounds_page_shows_the_seed_and_hashes(client: Client) -> None:
    round_, _popular, _applications = decided_round()
    text = client.get(reverse("education:rounds")).content.decode()
    assert round_.input_sha256 in text
    assert round_.result_sha256 in text


def test_a_school_administrator_exports_their_admitted_list_only(client: Client) -> None:
    _round, popular, applications = decided_round()
    admin = OfficialFactory.create(role=Role.SCHOOL_ADMIN, institution=popular.institution)
    page = _as(client, admin.user, "en").get(reverse("education:admitted")).content.decode()
    holder = next(a for a in applications if a.assigned == popular)
    assert holder.child.full_name in page
    others = [a for a in applications if a.assigned != popular]
    assert all(a.child.full_name not in page for a in others)
    response = client.get(reverse("education:admitted-csv"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Programme"
    assert [row[1] for row in rows[1:]] == [holder.child.full_name]


def test_a_citizen_may_not_see_the_admitted_list(client: Client) -> None:
    response = _as(client, account(CitizenFactory.create())).get(reverse("education:admitted"))
    assert response.status_code == 403


def test_the_district_officer_sees_demand_and_places(client: Client) -> None:
    _round, popular, _applications = decided_round()
    officer = district_official(Role.EDUCATION_OFFICER, district=popular.institution.district)
    text = _as(client, officer.user, "en").get(reverse("education:demand")).content.decode()
    assert popular.institution.district.name in text
    assert "demand-map-data" in text


def test_a_citizen_may_not_see_demand(client: Client) -> None:
    response = _as(client, account(CitizenFactory.create())).get(reverse("education:demand"))
    assert response.status_code == 403


def test_the_district_officer_verifies_a_claimed_right_and_it_is_audited(client: Client) -> None:
    parent, child = _family()
    assert child.apartment is not None
    application = application_submit(
        round_=RoundFactory.create(),
        child=child,
        user=account(parent),
        programme_ids=[ProgrammeFactory.create().pk],
        claims=[ClaimIn(category="priority", document="Удостоверение № 1")],
    )
    claim = application.claims.get()
    officer = district_official(Role.EDUCATION_OFFICER, district=child.apartment.building.district)
    _as(client, officer.user)
    assert "Удостоверение № 1" in client.get(reverse("education:claims")).content.decode()
    response = client.post(
        reverse("education:claim-review", args=[claim.pk]), {"verdict": "verify"}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.document_status == "verified"
    assert AuditEvent.objects.filter(action="education.claim.review", subject=child).exists()


def test_an_officer_of_another_district_cannot_review_the_claim(client: Client) -> None:
    parent, child = _family()
    application = application_submit(
        round_=RoundFactory.create(),
        child=child,
        user=account(parent),
        programme_ids=[ProgrammeFactory.create().pk],
        claims=[ClaimIn(category="extraordinary")],
    )
    claim = application.claims.get()
    stranger = district_official(Role.EDUCATION_OFFICER)
    response = _as(client, stranger.user).post(
        reverse("education:claim-review", args=[claim.pk]), {"verdict": "verify"}
    )
    assert response.status_code == 404
    claim.refresh_from_db()
    assert claim.document_status == "pending"


def test_a_citizen_may_not_open_the_claims_desk(client: Client) -> None:
    response = _as(client, account(CitizenFactory.create())).get(reverse("education:claims"))
    assert response.status_code == 403


def test_an_empty_form_is_refused_naming_the_first_choice(client: Client) -> None:
    parent, child = _family()
    round_ = RoundFactory.create()
    ProgrammeFactory.create()
    url = reverse("education:apply-form", args=[child.pk, round_.pk])
    response = _as(client, account(parent), "en").post(url, {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Application.objects.exists()
