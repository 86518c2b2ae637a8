"""Pages: offices, kiosk, ticket, board for anyone; the counter for clerks; figures for heads."""

from __future__ import annotations

import pytest
from django.test import Client

from gorod.portal.tiles import tiles_for
from gorod.queues import services
from gorod.queues.models import Ticket
from tests.people.factories import CitizenFactory
from tests.queues.factories import Hall, clerk_of, office_create

pytestmark = pytest.mark.usefixtures("any_day")


def test_offices_page_links_kiosk_and_board(client: Client, hall: Hall) -> None:
    page = client.get("/queues/").content.decode()
    assert f"/queues/{hall.office.pk}/kiosk/" in page
    assert f"/queues/{hall.office.pk}/board/" in page


def test_the_kiosk_issues_a_ticket_with_a_qr_code(client: Client, hall: Hall) -> None:
    kiosk = client.get(f"/queues/{hall.office.pk}/kiosk/").content.decode()
    assert "Регистрация рождения" in kiosk and "Паспорт" in kiosk
    answer = client.post(f"/queues/{hall.office.pk}/kiosk/take/", {"service_id": hall.a.pk})
    ticket = Ticket.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/queues/ticket/{ticket.token}/?printed=1"
    page = client.get(answer["Location"]).content.decode()
    assert "A-001" in page and "<svg" in page
    status = client.get(f"/queues/ticket/{ticket.token}/status/").content.decode()
    assert 'role="status"' in status


def test_a_closed_office_shows_why_and_issues_nothing(client: Client, hall: Hall) -> None:
    hall.office.opening_hours = {}
    hall.office.save()
    answer = client.post(
        f"/queues/{hall.office.pk}/kiosk/take/", {"service_id": hall.a.pk}, follow=True
    )
    assert "closed" in answer.content.decode() or "закрыт" in answer.content.decode()
    assert not Ticket.objects.exists()


def test_an_unknown_code_at_the_kiosk_changes_nothing(client: Client, hall: Hall) -> None:
    answer = client.post(f"/queues/{hall.office.pk}/kiosk/take/", {"code": "ZZZ999"}, follow=True)
    assert answer.status_code == 200
    assert not Ticket.objects.exists()


def test_an_unknown_ticket_is_404(client: Client, hall: Hall) -> None:
    assert client.get("/queues/ticket/nope/").status_code == 404


def test_the_board_shows_the_ticket_at_its_counter(client: Client, hall: Hall) -> None:
    services.ticket_issue(office=hall.office, service=hall.a)
    services.call_next(counter=hall.two, clerk=hall.clerk)
    rows = client.get(f"/queues/{hall.office.pk}/board/rows/").content.decode()
    assert "A-001" in rows and "→ </span>2" in rows
    assert (
        'hx-trigger="every 5s"' in client.get(f"/queues/{hall.office.pk}/board/").content.decode()
    )


def test_the_clerk_works_the_counter_page(client: Client, hall: Hall) -> None:
    ticket = services.ticket_issue(office=hall.office, service=hall.a)
    client.force_login(hall.clerk.user)
    url = f"/queues/counters/{hall.one.pk}/"
    assert "A-001" in client.get(url).content.decode()
    client.post(url, {"action": "call"})
    client.post(url, {"action": "start", "ticket_id": ticket.pk})
    client.post(url, {"action": "finish", "ticket_id": ticket.pk})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.DONE


def test_a_stale_ticket_id_on_the_counter_page_changes_nothing(client: Client, hall: Hall) -> None:
    ticket = services.ticket_issue(office=hall.office, service=hall.a)
    client.force_login(hall.clerk.user)
    client.post(f"/queues/counters/{hall.one.pk}/", {"action": "finish", "ticket_id": ticket.pk})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING


def test_counter_pages_are_for_the_offices_clerks(client: Client, hall: Hall) -> None:
    client.force_login(clerk_of(office_create()).user)
    assert client.get(f"/queues/counters/{hall.one.pk}/").status_code == 404
    client.force_login(CitizenFactory.create().user)
    assert client.get("/queues/counters/").status_code == 403


def test_the_head_sees_figures_of_their_office_only(client: Client, hall: Hall) -> None:
    head = clerk_of(hall.office, role="office_head")
    client.force_login(head.user)
    answer = client.get("/queues/my-office/", follow=True)
    assert answer.redirect_chain == [(f"/queues/{hall.office.pk}/figures/", 302)]
    assert answer.status_code == 200 and "<table" in answer.content.decode()
    client.force_login(clerk_of(office_create(), role="office_head").user)
    assert client.get(f"/queues/{hall.office.pk}/figures/").status_code == 403


def test_the_counter_polls_its_line(client: Client, hall: Hall) -> None:
    services.ticket_issue(office=hall.office, service=hall.b)
    client.force_login(hall.clerk.user)
    assert "B-001" in client.get(f"/queues/counters/{hall.one.pk}/waiting/").content.decode()
    assert "B-001" not in client.get(f"/queues/counters/{hall.two.pk}/waiting/").content.decode()
    client.force_login(clerk_of(office_create()).user)
    assert client.get(f"/queues/counters/{hall.one.pk}/waiting/").status_code == 404


def test_the_desk_shows_clerks_their_counter_and_heads_their_figures(db: None) -> None:
    clerk = {t.url for t in tiles_for("official", role="registry_clerk")}
    head = {t.url for t in tiles_for("official", role="office_head")}
    public = {t.url for t in tiles_for("public")}
    assert "/queues/counters/" in clerk and "/queues/my-office/" not in clerk
    assert {"/queues/counters/", "/queues/my-office/"} <= head
    assert "/queues/" in public


def test_a_visitor_cancels_from_the_ticket_page(client: Client, hall: Hall) -> None:
    ticket = services.ticket_issue(office=hall.office, service=hall.a)
    page = client.post(f"/queues/ticket/{ticket.token}/cancel/", follow=True).content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED
    assert "ticket-cancel" not in page
    again = client.post(f"/queues/ticket/{ticket.token}/cancel/", follow=True)
    assert again.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED


def test_before_any_shift_the_ticket_page_says_what_its_estimate_assumes(
    client: Client, hall: Hall
) -> None:
    ticket = services.ticket_issue(office=hall.office, service=hall.a)
    status = client.get(f"/queues/ticket/{ticket.token}/status/").content.decode()
    assert "Окна для этой услуги пока не открыты" in status
    assert "все 2 окна, которые её обслуживают" in status


def test_without_a_counter_for_the_service_the_ticket_page_says_why(
    client: Client, hall: Hall
) -> None:
    hall.one.services.remove(hall.b)
    ticket = services.ticket_issue(office=hall.office, service=hall.b)
    status = client.get(f"/queues/ticket/{ticket.token}/status/").content.decode()
    assert "Оценить ожидание нельзя" in status
    assert "Ни одно окно этого учреждения не обслуживает эту услугу." in status
