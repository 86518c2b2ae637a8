"""The public log page, an entry with its proof, who accessed my data, receipt checks."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from gorod.ledger import services
from gorod.portal.tiles import tiles_for
from tests.ledger.factories import log_filled, official_read, signed_receipt
from tests.people.factories import CitizenFactory, OfficialFactory, UserFactory, child_of

pytestmark = pytest.mark.django_db


def test_the_log_page_explains_the_log_and_shows_the_latest_head(client: Client) -> None:
    log_filled(4)
    head, _created = services.tree_head_sign()
    page = client.get("/log/").content.decode()
    assert "Журнал прозрачности" in page
    assert bytes(head.root_hash).hex() in page
    assert "gorod-sth-v1" in page
    assert head.key_id in page


def test_the_log_page_speaks_english_when_asked(client: Client) -> None:
    page = client.get("/log/", headers={"accept-language": "en"}).content.decode()
    assert "Transparency log" in page
    assert "What is logged, and what is not" in page


def test_the_log_page_lists_the_latest_entries_without_personal_data(client: Client) -> None:
    citizen = CitizenFactory.create(last_name="Уникальнова")
    doctor = OfficialFactory.create(role="doctor", user__display_name="Доктор Приметный")
    event = official_read(doctor, citizen, purpose="особая причина")
    page = client.get("/log/").content.decode()
    assert bytes(event.log_entry.leaf_hash).hex() in page
    for personal in ("Уникальнова", "Приметный", "особая причина", citizen.snils):
        assert personal not in page


def test_older_entries_are_reached_page_by_page(client: Client) -> None:
    log_filled(60, batch=60)
    first = client.get("/log/").content.decode()
    assert "/log/entries/59/" in first
    assert "/log/entries/5/" not in first
    older = client.get("/log/?before=10").content.decode()
    assert "/log/entries/5/" in older
    assert "/log/entries/10/" not in older


def test_an_entry_page_shows_its_verified_proof(client: Client) -> None:
    log_filled(9)
    services.tree_head_sign()
    response = client.get("/log/entries/3/", headers={"accept-language": "en"})
    assert response.status_code == 200
    assert "Verified" in response.content.decode()


def test_an_entry_not_yet_signed_says_so(client: Client) -> None:
    log_filled(2)
    page = client.get("/log/entries/1/", headers={"accept-language": "en"}).content.decode()
    assert "No signed tree head covers this entry yet" in page


def test_a_missing_entry_page_is_404(client: Client) -> None:
    assert client.get("/log/entries/77/").status_code == 404


def test_who_accessed_my_data_needs_signing_in(client: Client) -> None:
    response = client.get("/log/my-access/")
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_who_accessed_my_data_shows_who_when_why_and_a_proof(client: Client) -> None:
    parent = CitizenFactory.create()
    child = child_of(parent, first_name="Тимофей")
    doctor = OfficialFactory.create(role="doctor", user__display_name="Врач Смирнова")
    mine = official_read(doctor, parent, purpose="приём терапевта")
    official_read(doctor, child, purpose="осмотр перед садом")
    official_read(doctor, CitizenFactory.create(), purpose="чужой приём")
    assert parent.user is not None
    client.force_login(parent.user)
    page = client.get("/log/my-access/").content.decode()
    assert "Врач Смирнова" in page
    assert doctor.institution.name in page
    assert "приём терапевта" in page
    assert "осмотр перед садом" in page
    assert "Тимофей" in page
    assert "чужой приём" not in page
    assert f"/log/entries/{mine.log_entry_id}/" in page


def test_who_accessed_my_data_shows_times_in_moscow(client: Client) -> None:
    parent = CitizenFactory.create()
    official_read(OfficialFactory.create(), parent)
    assert parent.user is not None
    client.force_login(parent.user)
    assert "+03:00" in client.get("/log/my-access/").content.decode()


def test_an_account_without_a_resident_profile_is_told_so(client: Client) -> None:
    client.force_login(UserFactory.create())
    page = client.get("/log/my-access/", headers={"accept-language": "en"}).content.decode()
    assert "no resident's profile" in page


def _receipt() -> str:
    return json.dumps(signed_receipt())


def test_a_pasted_receipt_is_verified(client: Client) -> None:
    response = client.post(
        "/log/receipts/verify/", {"receipt": _receipt()}, headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    assert "result-verified" in response.content.decode()


def test_a_receipt_that_is_not_json_is_refused_on_the_field(client: Client) -> None:
    response = client.post("/log/receipts/verify/", {"receipt": "{not json"})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="receipt-help receipt-errors"' in page


def test_a_malformed_receipt_names_the_bad_field(client: Client) -> None:
    receipt = json.loads(_receipt())
    receipt["secret"] = "00"
    response = client.post(
        "/log/receipts/verify/", {"receipt": json.dumps(receipt)}, headers={"accept-language": "en"}
    )
    assert response.status_code == 400
    assert "secret" in response.content.decode()


def test_htmx_gets_the_result_and_the_form_without_the_page(client: Client) -> None:
    response = client.post(
        "/log/receipts/verify/", {"receipt": _receipt()}, headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "result-verified" in page
    assert 'hx-swap-oob="true"' in page
    assert "<html" not in page


def test_the_tiles_lead_to_the_log_and_my_access(client: Client) -> None:
    assert "/log/" in {tile.url for tile in tiles_for("public")}
    assert "/log/my-access/" in {tile.url for tile in tiles_for("citizen")}
