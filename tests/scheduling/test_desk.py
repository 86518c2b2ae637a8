"""The office's desk: an official finds a visitor and books for them, and confirms or cancels
the bookings of their own office; nobody else can."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.ledger.models import AuditEvent
from gorod.people.models import Official, Role, User
from gorod.people.snils import format_snils
from gorod.portal.models import Notification
from gorod.scheduling import desk, selectors, services
from gorod.scheduling.models import Booking, Slot
from gorod.scheduling.views import VISITOR_KEY
from tests.people.factories import CitizenFactory, OfficialFactory, account, child_of
from tests.scheduling.conftest import Office
from tests.scheduling.factories import counter

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(office: Office) -> Official:
    return OfficialFactory.create(institution=office.resource.institution)


def held(office: Office, slot: int = 2, **kwargs: object) -> Booking:
    """A citizen's own hold, as the citizen flow makes it."""
    return services.booking_hold(
        slot=office.slots[slot],
        citizen=office.citizen,
        service=office.service,
        by_user=account(office.citizen),
        **kwargs,  # type: ignore[arg-type]
    )


def slot_status(slot: Slot) -> str:
    slot.refresh_from_db()
    return slot.status


# --- finding the visitor -----------------------------------------------------------------


def test_the_desk_finds_a_visitor_by_snils_as_typed_on_the_card(
    office: Office, clerk: Official
) -> None:
    found = desk.citizen_find(by_user=clerk.user, snils=format_snils(office.citizen.snils))
    assert found == office.citizen


def test_finding_a_visitor_is_an_audit_event_the_visitor_sees(
    office: Office, clerk: Official
) -> None:
    desk.citizen_find(by_user=clerk.user, snils=office.citizen.snils)
    event = AuditEvent.objects.get(subject=office.citizen)
    assert (event.action, event.actor_id, event.detail) == (
        "people.record.read",
        clerk.user.pk,
        {"channel": "desk"},
    )
    assert event.purpose


def test_the_desk_finds_a_visitor_by_last_name_in_any_case_and_birth_date(
    office: Office, clerk: Official
) -> None:
    citizen = CitizenFactory.create(last_name="Салтыкова-Щедрина", birth_date=dt.date(1970, 2, 3))
    found = desk.citizen_find(
        by_user=clerk.user, last_name=" салтыкова-щедрина ", birth_date=dt.date(1970, 2, 3)
    )
    assert found == citizen


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"snils": "123"}, "snils"),
        ({"snils": "112-233-445 96"}, "snils"),
        ({"snils": "112-233-445 95"}, "snils"),  # valid, but nobody has it
        ({}, "last_name"),
        ({"last_name": "Иванова"}, "birth_date"),
        ({"last_name": "Иванова1", "birth_date": dt.date(1988, 5, 17)}, "last_name"),
        ({"last_name": "Петрова", "birth_date": dt.date(1988, 5, 17)}, "last_name"),
    ],
)
def test_a_visitor_not_found_names_the_field_and_leaves_no_event(
    office: Office, clerk: Official, typed: dict[str, object], field: str
) -> None:
    with pytest.raises(ApplicationError) as caught:
        desk.citizen_find(by_user=clerk.user, **typed)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert not AuditEvent.objects.exists()


def test_two_residents_with_one_name_and_birth_date_ask_for_the_snils(
    office: Office, clerk: Official
) -> None:
    twin = CitizenFactory.create()  # the factory's last name and birth date, like office.citizen
    assert (twin.last_name, twin.birth_date) == (
        office.citizen.last_name,
        office.citizen.birth_date,
    )
    with pytest.raises(ApplicationError) as caught:
        desk.citizen_find(by_user=clerk.user, last_name=twin.last_name, birth_date=twin.birth_date)
    assert caught.value.field == "snils"
    assert not AuditEvent.objects.exists()


def test_a_name_typed_beside_the_snils_must_be_the_residents(
    office: Office, clerk: Official
) -> None:
    with pytest.raises(ApplicationError) as caught:
        desk.citizen_find(by_user=clerk.user, snils=office.citizen.snils, last_name="Петрова")
    assert caught.value.field == "last_name"
    with pytest.raises(ApplicationError) as caught:
        desk.citizen_find(
            by_user=clerk.user, snils=office.citizen.snils, birth_date=dt.date(2000, 1, 1)
        )
    assert caught.value.field == "birth_date"


def test_only_a_desk_official_finds_visitors(office: Office) -> None:
    doctor = OfficialFactory.create(role=Role.DOCTOR, institution=office.resource.institution)
    for user in (account(office.citizen), doctor.user):
        with pytest.raises(PermissionDenied):
            desk.citizen_find(by_user=user, snils=office.citizen.snils)
    assert not AuditEvent.objects.exists()


# --- booking at the desk -----------------------------------------------------------------


def test_the_desk_books_at_once_and_the_visitor_sees_it(office: Office, clerk: Official) -> None:
    booking = desk.desk_book(
        by_user=clerk.user, citizen=office.citizen, slot=office.slots[1], service=office.service
    )
    booking.refresh_from_db()
    assert (booking.status, booking.booked_by_id) == ("booked", clerk.user.pk)
    assert slot_status(office.slots[1]) == "busy"
    mine = selectors.bookings_of(user=account(office.citizen), current=True)
    assert list(mine) == [booking]
    told = Notification.objects.get(user=account(office.citizen))
    assert (told.kind, booking.code in told.body) == ("scheduling.desk_booked", True)


def test_an_office_head_books_at_the_desk_too(office: Office) -> None:
    head = OfficialFactory.create(role=Role.OFFICE_HEAD, institution=office.resource.institution)
    booking = desk.desk_book(
        by_user=head.user, citizen=office.citizen, slot=office.slots[1], service=office.service
    )
    assert booking.booked_by_id == head.user.pk


def test_a_childs_desk_booking_is_told_to_the_guardian(office: Office, clerk: Official) -> None:
    child = child_of(office.citizen)
    desk.desk_book(by_user=clerk.user, citizen=child, slot=office.slots[1], service=office.service)
    assert Notification.objects.filter(user=account(office.citizen)).count() == 1
    assert not Notification.objects.filter(user=clerk.user).exists()


def test_the_desk_cannot_book_a_time_at_another_office(office: Office) -> None:
    elsewhere = OfficialFactory.create()
    with pytest.raises(ApplicationError) as caught:
        desk.desk_book(
            by_user=elsewhere.user,
            citizen=office.citizen,
            slot=office.slots[1],
            service=office.service,
        )
    assert caught.value.field == "slot_id"
    assert not Booking.objects.exists()
    assert slot_status(office.slots[1]) == "free"


def test_a_visitor_at_the_limit_is_told_as_a_visitor(office: Office, clerk: Official) -> None:
    for at in (1, 2):
        desk.desk_book(
            by_user=clerk.user,
            citizen=office.citizen,
            slot=office.slots[at],
            service=office.service,
        )
    with pytest.raises(ApplicationError) as caught:
        desk.desk_book(
            by_user=clerk.user, citizen=office.citizen, slot=office.slots[3], service=office.service
        )
    assert caught.value.field == "service_id"
    assert "visitor" in caught.value.message.lower() or "посетител" in caught.value.message
    assert Booking.objects.count() == 2


def test_a_taken_time_at_the_desk_offers_the_nearest(office: Office, clerk: Official) -> None:
    held(office, slot=1)
    rival = CitizenFactory.create()
    with pytest.raises(Conflict) as caught:
        desk.desk_book(
            by_user=clerk.user, citizen=rival, slot=office.slots[1], service=office.service
        )
    assert caught.value.extra["nearest"]
    assert not Booking.objects.filter(citizen=rival).exists()


# --- confirming and cancelling at the desk -------------------------------------------------


def test_the_desk_confirms_a_citizens_hold(office: Office, clerk: Official) -> None:
    hold = held(office)
    desk.desk_booking_confirm(booking=hold, by_user=clerk.user)
    hold.refresh_from_db()
    assert hold.status == "booked"
    assert hold.booked_by_id == account(office.citizen).pk  # still the citizen's booking
    told = Notification.objects.get(user=account(office.citizen))
    assert told.kind == "scheduling.desk_confirmed"


def test_the_desk_cannot_confirm_an_expired_hold(office: Office, clerk: Official) -> None:
    hold = held(office, now=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(Conflict):
        desk.desk_booking_confirm(booking=hold, by_user=clerk.user)
    hold.refresh_from_db()
    assert hold.status == "pending"


def test_the_desk_cancels_for_a_reason_and_the_time_is_free_again(
    office: Office, clerk: Official
) -> None:
    booking = held(office, confirm=True)
    desk.desk_booking_cancel(booking=booking, by_user=clerk.user, reason="  Office closed  ")
    booking.refresh_from_db()
    assert (booking.status, booking.cancelled_reason) == ("cancelled", "Office closed")
    assert booking.cancelled_by == clerk.user
    assert desk.canceller(booking) == desk.Booker(
        "official", clerk.user.display_name, clerk.get_role_display()
    )
    assert slot_status(office.slots[2]) == "free"
    told = Notification.objects.get(user=account(office.citizen))
    assert (told.kind, "Office closed" in told.body) == ("scheduling.desk_cancelled", True)
    rival = CitizenFactory.create()
    again = services.booking_hold(
        slot=office.slots[2], citizen=rival, service=office.service, by_user=account(rival)
    )
    assert again.status == "pending"


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201, "bad\x00reason"])
def test_a_desk_cancel_needs_a_reason(office: Office, clerk: Official, reason: str) -> None:
    booking = held(office, confirm=True)
    with pytest.raises(ApplicationError) as caught:
        desk.desk_booking_cancel(booking=booking, by_user=clerk.user, reason=reason)
    assert caught.value.field == "reason"
    booking.refresh_from_db()
    assert booking.status == "booked"
    assert slot_status(office.slots[2]) == "busy"


def test_a_finished_booking_cannot_be_cancelled_at_the_desk(
    office: Office, clerk: Official
) -> None:
    booking = held(office, confirm=True)
    services.booking_cancel(booking=booking, by_user=account(office.citizen))
    with pytest.raises(Conflict):
        desk.desk_booking_cancel(booking=booking, by_user=clerk.user, reason="again")
    with pytest.raises(Conflict):
        desk.desk_booking_confirm(booking=booking, by_user=clerk.user)


def _outsiders(office: Office) -> list[tuple[str, User]]:
    other_office = counter(service=office.service, name="Окно 9")
    doctor = OfficialFactory.create(role=Role.DOCTOR, institution=office.resource.institution)
    return [
        (
            "clerk of another office",
            OfficialFactory.create(institution=other_office.institution).user,
        ),
        ("doctor of this office", doctor.user),
        ("the citizen", account(office.citizen)),
        ("another citizen", account(CitizenFactory.create())),
    ]


def test_nobody_but_the_offices_desk_confirms_or_cancels(office: Office) -> None:
    booking = held(office)
    for who, user in _outsiders(office):
        with pytest.raises(NotFound):
            desk.desk_booking_confirm(booking=booking, by_user=user)
        with pytest.raises(NotFound):
            desk.desk_booking_cancel(booking=booking, by_user=user, reason=who)
    booking.refresh_from_db()
    assert booking.status == "pending"
    assert slot_status(office.slots[2]) == "busy"
    assert not Notification.objects.exists()


def test_the_office_page_tells_who_booked(office: Office, clerk: Official) -> None:
    own = held(office, slot=1)
    by_desk = desk.desk_book(
        by_user=clerk.user,
        citizen=CitizenFactory.create(),
        slot=office.slots[3],
        service=office.service,
    )
    child = child_of(office.citizen)
    by_parent = services.booking_hold(
        slot=office.slots[5], citizen=child, service=office.service, by_user=account(office.citizen)
    )
    day = office.slots[0].start.astimezone(services.local_zone()).date()
    assert clerk.institution is not None
    rows = {
        b.pk: desk.booker(b) for b in desk.office_bookings(institution=clerk.institution, day=day)
    }
    assert rows[own.pk].kind == desk.BY_VISITOR
    assert (rows[by_desk.pk].kind, rows[by_desk.pk].name) == (
        desk.BY_OFFICIAL,
        clerk.user.display_name,
    )
    assert (rows[by_parent.pk].kind, rows[by_parent.pk].name) == (
        desk.BY_GUARDIAN,
        office.citizen.full_name,
    )


# --- the pages ----------------------------------------------------------------------------


def _day(office: Office, at: int = 0) -> str:
    return office.slots[at].start.astimezone(services.local_zone()).date().isoformat()


def test_the_desk_books_a_visitor_step_by_step(
    client: Client, office: Office, clerk: Official
) -> None:
    client.force_login(clerk.user)
    office_page = client.get("/scheduling/office/").content.decode()
    assert 'href="/scheduling/office/book/"' in office_page
    page = client.get("/scheduling/office/book/").content.decode()
    assert 'name="snils"' in page
    response = client.post(
        "/scheduling/office/book/visitor/", {"snils": format_snils(office.citizen.snils)}
    )
    assert (response.status_code, response["Location"]) == (302, "/scheduling/office/book/")
    page = client.get("/scheduling/office/book/").content.decode()
    assert office.citizen.full_name in page
    assert f"?service={office.service.pk}" in page
    page = client.get(f"/scheduling/office/book/?service={office.service.pk}").content.decode()
    assert f"day={_day(office)}" in page
    query = f"?service={office.service.pk}&day={_day(office)}"
    page = client.get(f"/scheduling/office/book/{query}").content.decode()
    assert f'value="{office.slots[4].pk}"' in page
    response = client.post(
        f"/scheduling/office/book/time/{query}",
        {"slot_id": office.slots[4].pk, "service_id": office.service.pk},
    )
    booking = Booking.objects.get()
    assert (response.status_code, response["Location"]) == (
        302,
        f"/scheduling/office/?day={_day(office)}",
    )
    assert (booking.citizen, booking.status, booking.booked_by) == (
        office.citizen,
        "booked",
        clerk.user,
    )
    assert VISITOR_KEY not in client.session
    page = client.get(response["Location"]).content.decode()
    assert booking.code in page
    assert clerk.user.display_name in page
    visitor = Client()
    visitor.force_login(account(office.citizen))
    assert booking.code in visitor.get("/scheduling/").content.decode()


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({}, "snils"),
        ({"snils": "112-233-445 96"}, "snils"),
        ({"snils": "112-233-445 95"}, "snils"),
        ({"last_name": "Иванова"}, "birth_date"),
        ({"last_name": "Петрова", "birth_date": "1988-05-17"}, "last_name"),
        ({"last_name": "Иванова", "birth_date": "17.05.1988x"}, "birth_date"),
    ],
)
def test_the_find_form_names_the_field_at_fault(
    client: Client, office: Office, clerk: Official, form: dict[str, str], field: str
) -> None:
    client.force_login(clerk.user)
    response = client.post("/scheduling/office/book/visitor/", form)
    assert response.status_code == 400
    assert f'href="#id_{field}"' in response.content.decode()
    assert VISITOR_KEY not in client.session


def test_an_ambiguous_name_asks_for_the_snils_on_the_page(
    client: Client, office: Office, clerk: Official
) -> None:
    CitizenFactory.create()
    client.force_login(clerk.user)
    response = client.post(
        "/scheduling/office/book/visitor/", {"last_name": "иванова", "birth_date": "1988-05-17"}
    )
    assert response.status_code == 400
    assert 'href="#id_snils"' in response.content.decode()


def test_booking_needs_a_visitor_and_a_time(
    client: Client, office: Office, clerk: Official
) -> None:
    client.force_login(clerk.user)
    body = {"slot_id": office.slots[1].pk, "service_id": office.service.pk}
    assert client.post("/scheduling/office/book/time/", body).status_code == 400
    client.post("/scheduling/office/book/visitor/", {"snils": office.citizen.snils})
    assert client.post("/scheduling/office/book/time/", {"slot_id": "x"}).status_code == 400
    missing = {"slot_id": 10**9, "service_id": office.service.pk}
    assert client.post("/scheduling/office/book/time/", missing).status_code == 400
    assert not Booking.objects.exists()


def test_another_visitor_forgets_the_one_found(
    client: Client, office: Office, clerk: Official
) -> None:
    client.force_login(clerk.user)
    client.post("/scheduling/office/book/visitor/", {"snils": office.citizen.snils})
    assert VISITOR_KEY in client.session
    client.post("/scheduling/office/book/visitor/forget/")
    assert VISITOR_KEY not in client.session
    assert 'name="snils"' in client.get("/scheduling/office/book/").content.decode()


def test_a_visitor_found_at_one_office_is_not_kept_at_another(
    client: Client, office: Office, clerk: Official
) -> None:
    client.force_login(clerk.user)
    client.post("/scheduling/office/book/visitor/", {"snils": office.citizen.snils})
    clerk.institution = OfficialFactory.create().institution
    clerk.save()
    page = client.get("/scheduling/office/book/").content.decode()
    assert office.citizen.full_name not in page


def test_a_taken_time_at_the_desk_page_offers_the_nearest(
    client: Client, office: Office, clerk: Official
) -> None:
    held(office, slot=1)
    rival = CitizenFactory.create()
    client.force_login(clerk.user)
    client.post("/scheduling/office/book/visitor/", {"snils": rival.snils})
    response = client.post(
        "/scheduling/office/book/time/",
        {"slot_id": office.slots[1].pk, "service_id": office.service.pk},
    )
    assert response.status_code == 409
    assert f'value="{office.slots[2].pk}"' in response.content.decode()
    assert not Booking.objects.filter(citizen=rival).exists()


def test_the_office_page_confirms_and_cancels(
    client: Client, office: Office, clerk: Official
) -> None:
    hold = held(office)
    client.force_login(clerk.user)
    page = client.get(f"/scheduling/office/?day={_day(office)}").content.decode()
    assert f"/scheduling/office/bookings/{hold.pk}/confirm/" in page
    assert f"/scheduling/office/bookings/{hold.pk}/cancel/" in page
    response = client.post(f"/scheduling/office/bookings/{hold.pk}/confirm/")
    assert response["Location"] == f"/scheduling/office/?day={_day(office)}"
    hold.refresh_from_db()
    assert hold.status == "booked"
    cancel = f"/scheduling/office/bookings/{hold.pk}/cancel/"
    assert 'name="reason"' in client.get(cancel).content.decode()
    response = client.post(cancel, {"reason": ""})
    assert response.status_code == 400
    assert 'href="#id_reason"' in response.content.decode()
    hold.refresh_from_db()
    assert hold.status == "booked"
    response = client.post(cancel, {"reason": "Сотрудник заболел"})
    assert response["Location"] == f"/scheduling/office/?day={_day(office)}"
    hold.refresh_from_db()
    assert (hold.status, hold.cancelled_reason) == ("cancelled", "Сотрудник заболел")
    assert slot_status(office.slots[2]) == "free"
    page = client.get(f"/scheduling/office/?day={_day(office)}").content.decode()
    assert "Сотрудник заболел" in page
    assert cancel not in page
    row = page.split(f'id="booking-{hold.pk}"')[1].split("</tr>")[0]
    assert 'class="muted cancelled-by"' in row
    assert clerk.user.display_name in row.split('class="muted cancelled-by"')[1]


def test_the_office_page_shows_no_desk_to_another_role(client: Client, office: Office) -> None:
    hold = held(office)
    doctor = OfficialFactory.create(role=Role.DOCTOR, institution=office.resource.institution)
    client.force_login(doctor.user)
    page = client.get(f"/scheduling/office/?day={_day(office)}").content.decode()
    assert hold.code in page
    assert "/scheduling/office/book/" not in page
    assert f"/scheduling/office/bookings/{hold.pk}/cancel/" not in page


def test_a_citizen_is_refused_the_desk(client: Client, office: Office) -> None:
    hold = held(office)
    client.force_login(account(office.citizen))
    assert client.get("/scheduling/office/book/").status_code == 403
    assert client.post("/scheduling/office/book/visitor/", {"snils": "x"}).status_code == 403
    assert client.post(f"/scheduling/office/bookings/{hold.pk}/confirm/").status_code == 403
    cancel = f"/scheduling/office/bookings/{hold.pk}/cancel/"
    assert client.post(cancel, {"reason": "mine"}).status_code == 403
    hold.refresh_from_db()
    assert hold.status == "pending"


def test_another_offices_desk_gets_a_404_and_changes_nothing(
    client: Client, office: Office
) -> None:
    hold = held(office)
    client.force_login(OfficialFactory.create().user)
    assert client.post(f"/scheduling/office/bookings/{hold.pk}/confirm/").status_code == 404
    cancel = f"/scheduling/office/bookings/{hold.pk}/cancel/"
    assert client.get(cancel).status_code == 404
    assert client.post(cancel, {"reason": "not mine"}).status_code == 404
    hold.refresh_from_db()
    assert hold.status == "pending"
    assert slot_status(office.slots[2]) == "busy"


def test_the_desk_pages_need_sign_in(client: Client) -> None:
    assert client.get("/scheduling/office/book/").status_code == 302
    assert client.post("/scheduling/office/bookings/1/cancel/", {"reason": "x"}).status_code == 302
