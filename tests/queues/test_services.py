"""Tickets issued, called by the fair rule, recalled, transferred, finished; bad input refused."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from gorod.errors import ApplicationError, Conflict
from gorod.queues import services
from gorod.queues.models import Ticket, TicketEvent
from tests.queues.factories import Hall, QueueServiceFactory, at, clerk_of, office_create

pytestmark = pytest.mark.django_db


def test_tickets_are_numbered_per_letter_and_day(hall: Hall) -> None:
    first = services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    second = services.ticket_issue(office=hall.office, service=hall.a, now=at(1))
    other = services.ticket_issue(office=hall.office, service=hall.b, now=at(2))
    tomorrow = services.ticket_issue(office=hall.office, service=hall.a, now=at(24 * 60))
    assert [first.code, second.code, other.code, tomorrow.code] == [
        "A-001",
        "A-002",
        "B-001",
        "A-001",
    ]
    assert first.events.get().action == TicketEvent.Action.ISSUED


def test_a_closed_office_issues_no_ticket_and_says_when_it_opens(hall: Hall) -> None:
    hall.office.opening_hours = {"mon": [["09:00", "13:00"], ["13:45", "18:00"]]}
    hall.office.save()
    with pytest.raises(ApplicationError) as caught:
        services.ticket_issue(office=hall.office, service=hall.a, now=at(9 * 60))  # 19:00
    assert caught.value.field == "office_id"
    assert "09:00–13:00, 13:45–18:00" in caught.value.message
    assert not Ticket.objects.exists()


def test_a_public_holiday_closes_the_office(hall: Hall) -> None:
    march_ninth = at(7 * 24 * 60)  # Monday 9 March 2026: the day off for 8 March
    with pytest.raises(ApplicationError) as caught:
        services.ticket_issue(office=hall.office, service=hall.a, now=march_ninth)
    assert caught.value.message == gettext("The office is closed today.")
    assert not Ticket.objects.exists()


def test_a_service_of_another_office_is_refused(hall: Hall) -> None:
    elsewhere = QueueServiceFactory.create(office=office_create(), letter="Z")
    with pytest.raises(ApplicationError) as caught:
        services.ticket_issue(office=hall.office, service=elsewhere, now=at(0))
    assert caught.value.field == "service_id"
    assert not Ticket.objects.exists()


def test_an_unknown_priority_category_is_refused(hall: Hall) -> None:
    with pytest.raises(ApplicationError) as caught:
        services.ticket_issue(office=hall.office, service=hall.a, priority="vip", now=at(0))
    assert caught.value.field == "priority"
    assert not Ticket.objects.exists()


def test_call_next_follows_waiting_time_and_the_counters_services(hall: Hall) -> None:
    b = services.ticket_issue(office=hall.office, service=hall.b, now=at(0))
    a = services.ticket_issue(office=hall.office, service=hall.a, now=at(1))
    called = services.call_next(counter=hall.two, clerk=hall.clerk, now=at(5))
    assert called is not None and called.pk == a.pk  # counter 2 serves only A
    called = services.call_next(counter=hall.one, clerk=hall.other_clerk, now=at(6))
    assert called is not None and called.pk == b.pk
    assert called.status == Ticket.Status.CALLED and called.counter == hall.one


def test_priority_goes_first(hall: Hall) -> None:
    services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    priority = services.ticket_issue(
        office=hall.office, service=hall.a, priority="pregnant", now=at(3)
    )
    called = services.call_next(counter=hall.one, clerk=hall.clerk, now=at(5))
    assert called is not None and called.pk == priority.pk


def test_nobody_waiting_calls_nobody(hall: Hall) -> None:
    assert services.call_next(counter=hall.one, clerk=hall.clerk, now=at(0)) is None


def test_a_counter_finishes_with_its_visitor_before_calling_the_next(hall: Hall) -> None:
    services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    services.ticket_issue(office=hall.office, service=hall.a, now=at(1))
    services.call_next(counter=hall.one, clerk=hall.clerk, now=at(2))
    with pytest.raises(Conflict):
        services.call_next(counter=hall.one, clerk=hall.clerk, now=at(3))
    assert Ticket.objects.filter(status=Ticket.Status.WAITING).count() == 1


def test_a_clerk_of_another_office_cannot_act_at_the_counter(hall: Hall) -> None:
    services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    stranger = clerk_of(office_create())
    with pytest.raises(PermissionDenied):
        services.call_next(counter=hall.one, clerk=stranger, now=at(1))
    assert Ticket.objects.get().status == Ticket.Status.WAITING
    assert not hall.one.shifts.exists()


def test_the_whole_visit_is_timed(hall: Hall) -> None:
    ticket = services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    services.call_next(counter=hall.one, clerk=hall.clerk, now=at(4))
    services.ticket_recall(ticket=ticket, counter=hall.one, clerk=hall.clerk, now=at(5))
    services.ticket_start(ticket=ticket, counter=hall.one, clerk=hall.clerk, now=at(6))
    done = services.ticket_finish(ticket=ticket, counter=hall.one, clerk=hall.clerk, now=at(16))
    assert done.status == Ticket.Status.DONE and done.recalls == 1
    events = list(done.events.values_list("action", "seconds"))
    assert events == [
        ("issued", None),
        ("called", 240.0),
        ("recalled", 60.0),
        ("started", 60.0),
        ("finished", 600.0),
    ]
    assert hall.one.shifts.get().clerk == hall.clerk


def test_no_show_ends_the_ticket_and_frees_the_counter(hall: Hall) -> None:
    ticket = services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    services.call_next(counter=hall.one, clerk=hall.clerk, now=at(1))
    gone = services.ticket_no_show(ticket=ticket, counter=hall.one, clerk=hall.clerk, now=at(3))
    assert gone.status == Ticket.Status.NO_SHOW
    assert services.call_next(counter=hall.one, clerk=hall.clerk, now=at(4)) is None


def test_transfer_keeps_the_visitors_turn(hall: Hall) -> None:
    first = services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    services.ticket_issue(office=hall.office, service=hall.b, now=at(1))
    services.call_next(counter=hall.one, clerk=hall.clerk, now=at(2))
    moved = services.ticket_transfer(
        ticket=first, service=hall.b, counter=hall.one, clerk=hall.clerk, now=at(5)
    )
    assert (moved.status, moved.service, moved.counter, moved.transfers) == (
        Ticket.Status.WAITING,
        hall.b,
        None,
        1,
    )
    again = services.call_next(counter=hall.one, clerk=hall.clerk, now=at(6))
    assert again is not None and again.pk == first.pk


def test_finishing_a_ticket_not_at_the_counter_is_refused(hall: Hall) -> None:
    ticket = services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    with pytest.raises(Conflict) as caught:
        services.ticket_finish(ticket=ticket, counter=hall.one, clerk=hall.clerk, now=at(1))
    assert caught.value.field == "ticket_id"
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING and ticket.finished_at is None


def test_a_visitor_may_cancel_while_waiting_only(hall: Hall) -> None:
    ticket = services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    assert services.ticket_cancel(ticket=ticket, now=at(1)).status == Ticket.Status.CANCELLED
    with pytest.raises(Conflict):
        services.ticket_cancel(ticket=ticket, now=at(2))


def test_an_office_head_may_work_a_counter(hall: Hall) -> None:
    services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    head = clerk_of(hall.office, role="office_head")
    assert services.call_next(counter=hall.one, clerk=head, now=at(1)) is not None
