"""A booked visitor checks in by code and is called at their appointment time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.portal.models import Notification
from gorod.queues import services
from gorod.queues.models import Ticket
from gorod.scheduling.models import Booking, Resource, Service, Slot
from tests.people.factories import CitizenFactory
from tests.queues.factories import Hall, at

pytestmark = pytest.mark.django_db


def booking_at(hall: Hall, start: dt.datetime, code: str = "KQ7P2M") -> Booking:
    booked_as, _new = Service.objects.get_or_create(
        code="birth", defaults={"name": "Рождение", "institution": hall.office}
    )
    hall.a.booking_service = booked_as
    hall.a.save()
    resource, _new = Resource.objects.get_or_create(name="Окно 1", institution=hall.office)
    slot = Slot.objects.create(
        resource=resource, start=start, end=start + dt.timedelta(minutes=15), status="busy"
    )
    return Booking.objects.create(
        slot=slot, citizen=CitizenFactory.create(), service=booked_as, status="booked", code=code
    )


def test_check_in_gives_a_booked_ticket_called_when_due(hall: Hall) -> None:
    booking_at(hall, at(20))
    walk_in = services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    booked = services.ticket_check_in(code="kq7-p2m", office=hall.office, now=at(10))
    assert booked.kind == Ticket.Kind.BOOKED and booked.appointment_at == at(20)
    assert booked.booking is not None and booked.booking.status == Booking.Status.ARRIVED
    late_walk_in = services.ticket_issue(office=hall.office, service=hall.a, now=at(20.5))
    calls = []
    for minute in (21, 22, 23):
        ticket = services.call_next(counter=hall.one, clerk=hall.clerk, now=at(minute))
        assert ticket is not None
        calls.append(ticket.pk)
        services.ticket_finish(ticket=ticket, counter=hall.one, clerk=hall.clerk, now=at(minute))
    assert calls == [walk_in.pk, booked.pk, late_walk_in.pk]
    told = Notification.objects.get(kind="queues.called")
    assert told.user == booked.booking.citizen.user
    assert booked.code in told.title and told.link == f"/queues/ticket/{booked.token}/"
    booked.refresh_from_db()
    assert booked.booking is not None and booked.booking.status == Booking.Status.FULFILLED


def test_an_unknown_code_is_refused_and_changes_nothing(hall: Hall) -> None:
    with pytest.raises(NotFound) as caught:
        services.ticket_check_in(code="NOSUCH", office=hall.office, now=at(0))
    assert caught.value.field == "code"
    assert not Ticket.objects.exists()


def test_a_booked_service_without_a_queue_rolls_the_check_in_back(hall: Hall) -> None:
    booking = booking_at(hall, at(20))
    hall.a.booking_service = None
    hall.a.save()
    with pytest.raises(ApplicationError):
        services.ticket_check_in(code=booking.code, office=hall.office, now=at(10))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED
    assert not Ticket.objects.exists()


def test_a_booked_visitor_who_does_not_come_when_called_is_a_booking_no_show(
    hall: Hall,
) -> None:
    booking = booking_at(hall, at(20))
    booked = services.ticket_check_in(code=booking.code, office=hall.office, now=at(10))
    called = services.call_next(counter=hall.one, clerk=hall.clerk, now=at(21))
    assert called is not None and called.pk == booked.pk
    services.ticket_no_show(ticket=called, counter=hall.one, clerk=hall.clerk, now=at(25))
    booking.refresh_from_db()
    booked.refresh_from_db()
    assert booked.status == Ticket.Status.NO_SHOW
    assert booking.status == Booking.Status.NOSHOW and booking.updated_at == at(25)


def test_a_walk_in_no_show_touches_no_booking(hall: Hall) -> None:
    booking = booking_at(hall, at(20))
    walk_in = services.ticket_issue(office=hall.office, service=hall.a, now=at(0))
    called = services.call_next(counter=hall.one, clerk=hall.clerk, now=at(1))
    assert called is not None and called.pk == walk_in.pk
    services.ticket_no_show(ticket=called, counter=hall.one, clerk=hall.clerk, now=at(2))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_a_refused_no_show_leaves_the_booking_arrived(hall: Hall) -> None:
    booking = booking_at(hall, at(20))
    booked = services.ticket_check_in(code=booking.code, office=hall.office, now=at(10))
    with pytest.raises(Conflict):  # not called yet: nothing to mark
        services.ticket_no_show(ticket=booked, counter=hall.one, clerk=hall.clerk, now=at(25))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ARRIVED


def test_a_booked_visitor_who_leaves_the_queue_cancels_the_booking_and_frees_its_slot(
    hall: Hall,
) -> None:
    booking = booking_at(hall, at(20))
    booked = services.ticket_check_in(code=booking.code, office=hall.office, now=at(10))
    services.ticket_cancel(ticket=booked, now=at(12))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancelled_reason == services.LEFT_THE_QUEUE == "left the queue"
    assert booking.updated_at == at(12)
    assert Slot.objects.get(pk=booking.slot_id).status == Slot.Status.FREE  # 20 is to come


def test_leaving_after_the_appointment_began_keeps_the_slot_taken(hall: Hall) -> None:
    booking = booking_at(hall, at(5))
    booked = services.ticket_check_in(code=booking.code, office=hall.office, now=at(10))
    services.ticket_cancel(ticket=booked, now=at(12))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert Slot.objects.get(pk=booking.slot_id).status == Slot.Status.BUSY


def test_a_refused_cancel_leaves_the_booking_arrived(hall: Hall) -> None:
    booking = booking_at(hall, at(5))
    booked = services.ticket_check_in(code=booking.code, office=hall.office, now=at(10))
    called = services.call_next(counter=hall.one, clerk=hall.clerk, now=at(11))
    assert called is not None and called.pk == booked.pk
    with pytest.raises(Conflict):
        services.ticket_cancel(ticket=booked, now=at(12))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.ARRIVED and booking.cancelled_reason == ""


def test_closing_the_day_cancels_the_bookings_of_visitors_left_unserved(hall: Hall) -> None:
    serving = booking_at(hall, at(5), code="SERV01")
    called = booking_at(hall, at(6), code="CALL01")
    waiting = booking_at(hall, at(7), code="WAIT01")
    never_came = booking_at(hall, at(8), code="AWAY01")
    tickets = {
        code: services.ticket_check_in(code=code, office=hall.office, now=at(1))
        for code in ("SERV01", "CALL01", "WAIT01")
    }
    first = services.call_next(counter=hall.two, clerk=hall.clerk, now=at(9))
    second = services.call_next(counter=hall.one, clerk=hall.other_clerk, now=at(9))
    walk_in = services.ticket_issue(office=hall.office, service=hall.b, now=at(9.5))
    assert first is not None and first.pk == tickets["SERV01"].pk
    assert second is not None and second.pk == tickets["CALL01"].pk
    services.ticket_start(ticket=first, counter=hall.two, clerk=hall.clerk, now=at(10))
    assert services.tickets_close(before=at(0).date() + dt.timedelta(days=1), now=at(600)) == 3
    statuses = {
        b.code: (b.status, b.cancelled_reason, b.updated_at)
        for b in Booking.objects.filter(pk__in=[waiting.pk, called.pk, serving.pk, never_came.pk])
    }
    closed = (Booking.Status.CANCELLED, "office closed", at(600))
    assert statuses["WAIT01"] == statuses["CALL01"] == closed
    assert statuses["SERV01"][:2] == (Booking.Status.ARRIVED, "")  # for the clerk to finish
    assert statuses["AWAY01"][:2] == (Booking.Status.BOOKED, "")  # scheduling's no-show
    walk_in.refresh_from_db()
    assert walk_in.status == Ticket.Status.CANCELLED
    # The appointments' time has passed: their slots stay taken.
    assert set(Slot.objects.values_list("status", flat=True)) == {Slot.Status.BUSY}


@pytest.mark.usefixtures("any_day")
def test_cancelling_on_the_ticket_page_cancels_the_booking(client: Client, hall: Hall) -> None:
    booking = booking_at(hall, timezone.now() + dt.timedelta(minutes=30))
    booked = services.ticket_check_in(code=booking.code, office=hall.office)
    response = client.post(f"/queues/ticket/{booked.token}/cancel/")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_reason) == ("cancelled", "left the queue")
    assert Slot.objects.get(pk=booking.slot_id).status == Slot.Status.FREE
