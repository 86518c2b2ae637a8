"""A booked visitor checks in by code and is called at their appointment time."""

from __future__ import annotations

import datetime as dt

import pytest

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.portal.models import Notification
from gorod.queues import services
from gorod.queues.models import Ticket
from gorod.scheduling.models import Booking, Resource, Service, Slot
from tests.people.factories import CitizenFactory
from tests.queues.factories import Hall, at

pytestmark = pytest.mark.django_db


def booking_at(hall: Hall, start: dt.datetime, code: str = "KQ7P2M") -> Booking:
    booked_as = Service.objects.create(code="birth", name="Рождение", institution=hall.office)
    hall.a.booking_service = booked_as
    hall.a.save()
    resource = Resource.objects.create(name="Окно 1", institution=hall.office)
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
