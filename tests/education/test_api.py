"""``/api/v1/education/``: rounds, eligible programmes, applying, results and offers."""

from __future__ import annotations

import pytest
from django.test import Client

from gorod.education.models import Application, Offer, Territory
from gorod.people.models import Citizen
from tests.education.factories import ProgrammeFactory, RoundFactory, decided_round, kid_of
from tests.people.factories import CitizenFactory, account

pytestmark = pytest.mark.django_db

BASE = "/api/v1/education"


def _as(client: Client, citizen: Citizen) -> Client:
    client.force_login(account(citizen))
    return client


def test_rounds_are_public_with_their_seed_and_hashes(client: Client) -> None:
    round_, _popular, _applications = decided_round()
    [body] = client.get(f"{BASE}/rounds").json()
    assert body["id"] == round_.pk
    assert body["seed"] == 5
    [run] = body["runs"]
    assert run["input_sha256"] == round_.input_sha256
    assert run["kind"] == "round"


def test_the_programmes_of_a_round_are_those_for_the_childs_age_with_territory(
    client: Client,
) -> None:
    parent = CitizenFactory.create()
    child = kid_of(parent, 40)
    assert child.apartment is not None
    near, other = ProgrammeFactory.create(), ProgrammeFactory.create()
    ProgrammeFactory.create(min_age_months=60, max_age_months=72)
    Territory.objects.create(institution=near.institution, building=child.apartment.building)
    round_ = RoundFactory.create()
    body = (
        _as(client, parent)
        .get(f"{BASE}/rounds/{round_.pk}/programmes", {"child_id": child.pk})
        .json()
    )
    assert {(p["id"], p["territory"]) for p in body} == {(near.pk, True), (other.pk, False)}


def test_a_family_applies_by_api(client: Client) -> None:
    parent = CitizenFactory.create()
    child = kid_of(parent)
    programme, round_ = ProgrammeFactory.create(), RoundFactory.create()
    response = _as(client, parent).post(
        f"{BASE}/applications",
        {
            "round_id": round_.pk,
            "child_id": child.pk,
            "choices": [programme.pk],
            "claims": [{"category": "priority", "document": "справка"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert body["claims"][0]["document_status"] == "pending"
    assert client.get(f"{BASE}/applications").json()[0]["id"] == body["id"]


def test_an_ineligible_application_is_a_400_with_the_reason(client: Client) -> None:
    parent = CitizenFactory.create()
    child = kid_of(parent, 90)  # too old for a kindergarten
    response = _as(client, parent).post(
        f"{BASE}/applications",
        {
            "round_id": RoundFactory.create().pk,
            "child_id": child.pk,
            "choices": [ProgrammeFactory.create().pk],
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "child"
    assert "1 September" in response.json()["message"] or "1 сентября" in response.json()["message"]
    assert not Application.objects.exists()


def test_applying_for_someone_elses_child_is_a_404(client: Client) -> None:
    child = kid_of(CitizenFactory.create())
    response = _as(client, CitizenFactory.create()).post(
        f"{BASE}/applications",
        {
            "round_id": RoundFactory.create().pk,
            "child_id": child.pk,
            "choices": [ProgrammeFactory.create().pk],
        },
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json()["field"] == "child_id"


def test_an_unknown_claim_category_is_a_422(client: Client) -> None:
    parent = CitizenFactory.create()
    response = _as(client, parent).post(
        f"{BASE}/applications",
        {
            "round_id": RoundFactory.create().pk,
            "child_id": kid_of(parent).pk,
            "choices": [ProgrammeFactory.create().pk],
            "claims": [{"category": "vip"}],
        },
        content_type="application/json",
    )
    assert response.status_code == 422


def test_the_result_explains_each_choice_and_the_offer_is_answered(client: Client) -> None:
    _round, popular, applications = decided_round()
    loser = next(a for a in applications if a.assigned != popular)
    body = _as(client, loser.guardian).get(f"{BASE}/applications/{loser.pk}").json()
    first, second = body["choices"]
    assert first["reason"] == "lottery"
    assert first["cutoff_lottery"] < first["lottery"]
    assert second["admitted"]
    offer = body["offer"]
    response = client.post(f"{BASE}/offers/{offer['id']}/accept")
    assert response.status_code == 200
    assert response.json()["offer"]["status"] == "accepted"
    again = client.post(f"{BASE}/offers/{offer['id']}/decline")
    assert again.status_code == 400
    assert again.json()["field"] == "offer"


def test_declining_by_api_passes_the_place_on(client: Client) -> None:
    _round, popular, applications = decided_round()
    holder = next(a for a in applications if a.assigned == popular)
    offer = Offer.objects.get(application=holder, status="offered")
    response = _as(client, holder.guardian).post(f"{BASE}/offers/{offer.pk}/decline")
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert Application.objects.filter(assigned=popular).exclude(pk=holder.pk).count() == 1


def test_another_familys_application_is_a_404(client: Client) -> None:
    _round, _popular, applications = decided_round()
    response = _as(client, CitizenFactory.create()).get(f"{BASE}/applications/{applications[0].pk}")
    assert response.status_code == 404
