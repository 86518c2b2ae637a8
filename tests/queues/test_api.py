"""The API: kiosk, ticket, board for anyone; counters for the office's clerks only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from gorod.queues import services
from gorod.queues.models import Ticket
from tests.people.factories import CitizenFactory
from tests.queues.factories import Hall, clerk_of, office_create

pytestmark = pytest.mark.usefixtures("any_day")
API = "/api/v1/queues"


def take(client: Client, hall: Hall, **body: Any) -> Any:
    return client.post(
        f"{API}/offices/{hall.office.pk}/tickets",
        {"service_id": hall.a.pk, **body},
        content_type="application/json",
    )


def test_offices_list_and_detail_are_public(client: Client, hall: Hall) -> None:
    listed = client.get(f"{API}/offices").json()
    assert [o["id"] for o in listed] == [hall.office.pk]
    assert listed[0]["open_now"] is True
    detail = client.get(f"{API}/offices/{hall.office.pk}").json()
    assert [s["letter"] for s in detail["services"]] == ["A", "B"]
    assert detail["services"][0]["documents"] == ["Паспорт", "Заявление"]


def test_the_kiosk_gives_a_ticket_with_its_position(client: Client, hall: Hall) -> None:
    first = take(client, hall)
    second = take(client, hall, priority="")
    assert first.status_code == second.status_code == 201
    body = second.json()
    assert body["code"] == "A-002" and body["status"] == "waiting"
    position = body["position"]
    assert (position["ahead"], position["counters_open"], position["assumed_counters"]) == (1, 0, 2)
    assert position["wait_minutes"] is not None and position["no_estimate_reason"] == ""
    assert position["basis"] and position["assumed_from"] is not None
    page = client.get(f"{API}/tickets/{body['token']}").json()
    assert page["id"] == body["id"]


def test_a_closed_office_answers_400_naming_the_office(client: Client, hall: Hall) -> None:
    hall.office.opening_hours = {}
    hall.office.save()
    answer = take(client, hall)
    assert answer.status_code == 400
    assert answer.json()["field"] == "office_id"
    assert not Ticket.objects.exists()


def test_an_unknown_service_answers_404(client: Client, hall: Hall) -> None:
    answer = take(client, hall, service_id=999_999)
    assert (answer.status_code, answer.json()["field"]) == (404, "service_id")


def test_an_unknown_check_in_code_answers_404_naming_the_code(client: Client, hall: Hall) -> None:
    answer = client.post(
        f"{API}/offices/{hall.office.pk}/check-in",
        {"code": "NOPE42"},
        content_type="application/json",
    )
    assert (answer.status_code, answer.json()["field"]) == (404, "code")
    assert not Ticket.objects.exists()


def test_a_clerk_calls_serves_and_finishes(client: Client, hall: Hall) -> None:
    ticket = take(client, hall).json()
    client.force_login(hall.clerk.user)
    mine = client.get(f"{API}/counters").json()
    assert {c["number"] for c in mine} == {1, 2}
    called = client.post(f"{API}/counters/{hall.one.pk}/call-next").json()
    assert called["current"]["code"] == ticket["code"]
    assert called["on_shift"] == str(hall.clerk.user)
    url = f"{API}/counters/{hall.one.pk}/tickets/{ticket['id']}"
    assert client.post(f"{url}/start").status_code == 200
    done = client.post(f"{url}/finish")
    assert done.status_code == 200 and done.json()["current"] is None
    board = client.get(f"{API}/offices/{hall.office.pk}/board").json()
    assert board == [
        {"code": "A-001", "counter": 1, "status": "done", "called_at": board[0]["called_at"]}
    ]


def test_nobody_waiting_answers_404(client: Client, hall: Hall) -> None:
    client.force_login(hall.clerk.user)
    answer = client.post(f"{API}/counters/{hall.one.pk}/call-next")
    assert answer.status_code == 404


def test_finishing_a_ticket_not_being_served_answers_409(client: Client, hall: Hall) -> None:
    ticket = take(client, hall).json()
    client.force_login(hall.clerk.user)
    answer = client.post(f"{API}/counters/{hall.one.pk}/tickets/{ticket['id']}/finish")
    assert (answer.status_code, answer.json()["field"]) == (409, "ticket_id")
    assert Ticket.objects.get().status == Ticket.Status.WAITING


def test_a_clerk_of_another_office_gets_403_and_changes_nothing(client: Client, hall: Hall) -> None:
    take(client, hall)
    client.force_login(clerk_of(office_create()).user)
    answer = client.post(f"{API}/counters/{hall.one.pk}/call-next")
    assert answer.status_code == 403
    assert Ticket.objects.get().status == Ticket.Status.WAITING
    assert client.get(f"{API}/counters/{hall.one.pk}").status_code == 404


def test_a_citizen_has_no_counter(client: Client, hall: Hall) -> None:
    client.force_login(CitizenFactory.create().user)
    assert client.post(f"{API}/counters/{hall.one.pk}/call-next").status_code == 403
    assert client.get(f"{API}/counters").status_code == 403


def test_an_unknown_action_answers_422(client: Client, hall: Hall) -> None:
    ticket = take(client, hall).json()
    client.force_login(hall.clerk.user)
    answer = client.post(f"{API}/counters/{hall.one.pk}/tickets/{ticket['id']}/explode")
    assert answer.status_code == 422


def test_transfer_by_api(client: Client, hall: Hall) -> None:
    ticket = take(client, hall).json()
    client.force_login(hall.clerk.user)
    client.post(f"{API}/counters/{hall.one.pk}/call-next")
    answer = client.post(
        f"{API}/counters/{hall.one.pk}/tickets/{ticket['id']}/transfer",
        {"service_id": hall.b.pk},
        content_type="application/json",
    )
    assert answer.status_code == 200
    moved = Ticket.objects.get()
    assert (moved.service, moved.status) == (hall.b, Ticket.Status.WAITING)


def test_staffing_is_for_the_office_head_only(client: Client, hall: Hall) -> None:
    url = f"{API}/offices/{hall.office.pk}/staffing"
    client.force_login(clerk_of(hall.office, role="office_head").user)
    body = client.get(url).json()
    assert body["target_minutes"] == 15 and len(body["hours"]) == 24
    client.force_login(clerk_of(office_create(), role="office_head").user)
    assert client.get(url).status_code == 403


def test_a_waiting_ticket_gets_an_estimate_once_a_counter_is_open(
    client: Client, hall: Hall
) -> None:
    tickets = [take(client, hall).json() for _ in range(3)]
    first = Ticket.objects.get(pk=tickets[0]["id"])
    services.call_next(counter=hall.one, clerk=hall.clerk)
    last = client.get(f"{API}/tickets/{tickets[2]['token']}").json()
    assert last["position"]["ahead"] == 1
    assert last["position"]["counters_open"] == 1
    assert last["position"]["wait_minutes"] is not None
    assert last["position"]["basis"] == "" and last["position"]["assumed_counters"] is None
    assert first.pk != last["id"]
