from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from gorod.errors import ApplicationError, Conflict, NotFound
from gorod.people.models import Citizen, Role
from gorod.portal.models import Notification
from gorod.scheduling import services
from gorod.scheduling.models import Booking, CalendarException, Slot
from tests.people.factories import CitizenFactory, OfficialFactory, account, child_of
from tests.scheduling.conftest import Office
from tests.scheduling.factories import ServiceFactory, counter, tomorrow

pytestmark = pytest.mark.django_db


def hold(office: Office, slot: Slot | None = None, **kwargs: object) -> Booking:
    citizen = office.citizen
    assert citizen.user is not None
    return services.booking_hold(
        slot=slot or office.slots[0],
        citizen=citizen,
        service=office.service,
        by_user=citizen.user,
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_day_of_slots_skips_the_lunch_break(office: Office) -> None:
    assert len(office.slots) == 32
    starts = {s.start.astimezone(services.local_zone()).time() for s in office.slots}
    assert dt.time(13) not in starts
    assert dt.time(14) in starts


def test_generating_slots_again_adds_none(office: Office) -> None:
    again = services.slots_generate(resource=office.resource, start_date=tomorrow(), days=2)
    assert again == 32
    assert services.slots_generate(resource=office.resource, start_date=tomorrow(), days=2) == 0


def test_a_resource_day_off_has_no_slots(office: Office) -> None:
    day = tomorrow() + dt.timedelta(days=1)
    CalendarException.objects.create(date=day, kind="holiday", resource=office.resource)
    assert services.slots_generate(resource=office.resource, start_date=day, days=1) == 0


def test_the_2026_production_calendar_is_seeded() -> None:
    days_off = CalendarException.objects.filter(resource__isnull=True, kind="holiday")
    assert days_off.filter(date=dt.date(2026, 1, 9)).exists()
    assert days_off.filter(date=dt.date(2026, 12, 31)).exists()
    assert days_off.filter(date=dt.date(2026, 5, 11)).exists()
    short = CalendarException.objects.get(date=dt.date(2026, 11, 3))
    assert (short.kind, short.hours_shorter) == ("short", 1)


def test_a_hold_takes_the_slot_until_it_expires(office: Office) -> None:
    booking = hold(office)
    assert booking.status == Booking.Status.PENDING
    assert booking.hold_expires_at is not None
    assert len(booking.code) == services.CODE_LENGTH
    office.slots[0].refresh_from_db()
    assert office.slots[0].status == Slot.Status.BUSY


def test_a_confirmed_hold_is_booked(office: Office) -> None:
    booking = hold(office)
    assert office.citizen.user is not None
    booked = services.booking_confirm(booking=booking, by_user=office.citizen.user)
    assert booked.status == Booking.Status.BOOKED


def test_an_expired_hold_cannot_be_confirmed(office: Office) -> None:
    booking = hold(office)
    assert office.citizen.user is not None and booking.hold_expires_at is not None
    with pytest.raises(Conflict) as caught:
        services.booking_confirm(
            booking=booking, by_user=office.citizen.user, now=booking.hold_expires_at
        )
    assert caught.value.field == "booking_id"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING


def test_a_taken_slot_offers_the_nearest_free_ones(office: Office) -> None:
    hold(office, slot=office.slots[5])
    rival = CitizenFactory.create()
    assert rival.user is not None
    with pytest.raises(Conflict) as caught:
        services.booking_hold(
            slot=office.slots[5], citizen=rival, service=office.service, by_user=rival.user
        )
    nearest = [s["id"] for s in caught.value.extra["nearest"]]
    assert nearest == [s.pk for s in office.slots[2:5] + office.slots[6:8]]
    assert Booking.objects.count() == 1


def test_an_expired_hold_gives_way_to_a_new_one(office: Office) -> None:
    first = hold(office)
    assert first.hold_expires_at is not None
    rival = CitizenFactory.create()
    assert rival.user is not None
    second = services.booking_hold(
        slot=office.slots[0],
        citizen=rival,
        service=office.service,
        by_user=rival.user,
        now=first.hold_expires_at,
    )
    first.refresh_from_db()
    assert first.status == Booking.Status.CANCELLED
    assert second.status == Booking.Status.PENDING


def test_a_past_slot_is_refused(office: Office) -> None:
    with pytest.raises(ApplicationError) as caught:
        hold(office, now=office.slots[0].start)
    assert caught.value.field == "slot_id"
    assert not Booking.objects.exists()


def test_a_slot_of_another_service_is_refused(office: Office) -> None:
    other = ServiceFactory.create()
    other_counter = counter(service=other, institution=office.resource.institution, name="2")
    services.slots_generate(resource=other_counter, start_date=tomorrow(), days=1)
    with pytest.raises(ApplicationError) as caught:
        hold(office, slot=other_counter.slots.first())
    assert caught.value.field == "slot_id"
    assert not Booking.objects.exists()


def test_bookings_beyond_the_limit_are_refused(office: Office) -> None:
    hold(office, slot=office.slots[0])
    hold(office, slot=office.slots[1], confirm=True)
    with pytest.raises(ApplicationError) as caught:
        hold(office, slot=office.slots[2])
    assert caught.value.field == "service_id"
    assert Booking.objects.count() == 2


def test_a_guardian_books_for_a_child(office: Office) -> None:
    child = child_of(office.citizen)
    assert office.citizen.user is not None
    booking = services.booking_hold(
        slot=office.slots[0], citizen=child, service=office.service, by_user=office.citizen.user
    )
    assert booking.citizen == child


def test_booking_for_another_citizen_is_refused(office: Office) -> None:
    stranger = CitizenFactory.create()
    assert office.citizen.user is not None
    with pytest.raises(ApplicationError) as caught:
        services.booking_hold(
            slot=office.slots[0],
            citizen=stranger,
            service=office.service,
            by_user=office.citizen.user,
        )
    assert caught.value.field == "citizen_id"
    assert not Booking.objects.exists()


def test_cancelling_frees_the_slot(office: Office) -> None:
    booking = hold(office, confirm=True)
    assert office.citizen.user is not None
    services.booking_cancel(booking=booking, by_user=office.citizen.user, reason="ill")
    booking.refresh_from_db()
    office.slots[0].refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.cancelled_by == office.citizen.user
    assert office.slots[0].status == Slot.Status.FREE


def test_who_cancelled_is_kept_and_the_platform_is_no_one(office: Office) -> None:
    """A move cancels the old booking by the one who moved it; a hold that ran out is
    cancelled by no one."""
    mover = account(office.citizen)
    first = hold(office, confirm=True)
    services.booking_reschedule(booking=first, new_slot=office.slots[1], by_user=mover)
    first.refresh_from_db()
    assert (first.cancelled_reason, first.cancelled_by) == ("rescheduled", mover)
    lapsed = hold(office, slot=office.slots[2], now=timezone.now() - dt.timedelta(hours=1))
    assert services.holds_expire(now=timezone.now()) == 1
    lapsed.refresh_from_db()
    assert (lapsed.status, lapsed.cancelled_reason, lapsed.cancelled_by) == (
        Booking.Status.CANCELLED,
        "hold expired",
        None,
    )


def test_someone_elses_booking_is_not_found(office: Office) -> None:
    booking = hold(office)
    stranger = CitizenFactory.create()
    assert stranger.user is not None
    with pytest.raises(NotFound):
        services.booking_cancel(booking=booking, by_user=stranger.user)
    booking.refresh_from_db()
    assert booking.status == Booking.Status.PENDING


def test_rescheduling_moves_the_booking(office: Office) -> None:
    booking = hold(office, confirm=True)
    assert office.citizen.user is not None
    moved = services.booking_reschedule(
        booking=booking, new_slot=office.slots[4], by_user=office.citizen.user
    )
    booking.refresh_from_db()
    assert (moved.slot, moved.status) == (office.slots[4], Booking.Status.BOOKED)
    assert moved.rescheduled_from == booking
    assert booking.status == Booking.Status.CANCELLED


def test_rescheduling_to_a_taken_slot_keeps_the_old_booking(office: Office) -> None:
    booking = hold(office, confirm=True)
    rival = CitizenFactory.create()
    assert rival.user is not None and office.citizen.user is not None
    services.booking_hold(
        slot=office.slots[4], citizen=rival, service=office.service, by_user=rival.user
    )
    with pytest.raises(Conflict):
        services.booking_reschedule(
            booking=booking, new_slot=office.slots[4], by_user=office.citizen.user
        )
    booking.refresh_from_db()
    office.slots[0].refresh_from_db()
    assert booking.status == Booking.Status.BOOKED
    assert office.slots[0].status == Slot.Status.BUSY


def test_check_in_on_the_day_marks_arrival_then_the_visit_is_fulfilled(office: Office) -> None:
    booking = hold(office, confirm=True)
    morning = office.slots[0].start - dt.timedelta(minutes=30)
    arrived = services.booking_check_in(code=booking.code.lower(), now=morning)
    assert arrived.status == Booking.Status.ARRIVED
    assert services.booking_fulfil(booking=arrived).status == Booking.Status.FULFILLED


def _arrived(office: Office, slot: Slot, citizen: Citizen | None = None) -> Booking:
    who = citizen or CitizenFactory.create()
    booking = services.booking_hold(
        slot=slot, citizen=who, service=office.service, by_user=account(who), confirm=True
    )
    return services.booking_check_in(code=booking.code, now=slot.start - dt.timedelta(hours=1))


def test_an_arrived_visitor_not_at_the_counter_is_a_no_show_once(office: Office) -> None:
    arrived = _arrived(office, office.slots[0])
    booked = hold(office, slot=office.slots[1], confirm=True)
    now = office.slots[0].start
    assert services.booking_arrived_no_show(booking_id=arrived.pk, now=now)
    assert not services.booking_arrived_no_show(booking_id=arrived.pk, now=now)
    assert not services.booking_arrived_no_show(booking_id=booked.pk, now=now)
    statuses = dict(Booking.objects.values_list("pk", "status"))
    assert statuses == {arrived.pk: Booking.Status.NOSHOW, booked.pk: Booking.Status.BOOKED}
    assert Slot.objects.get(pk=office.slots[0].pk).status == Slot.Status.BUSY


def test_arrived_visitors_not_served_are_cancelled_and_future_slots_freed(
    office: Office,
) -> None:
    early, late = _arrived(office, office.slots[0]), _arrived(office, office.slots[4])
    booked = hold(office, slot=office.slots[2], confirm=True)
    now = office.slots[2].start  # the first slot's time has come, the fifth's has not
    changed = services.bookings_arrived_cancel(
        booking_ids=[early.pk, late.pk, booked.pk], reason="left the queue", now=now
    )
    assert changed == 2
    rows = {b.pk: (b.status, b.cancelled_reason, b.slot.status) for b in Booking.objects.all()}
    assert rows == {
        early.pk: (Booking.Status.CANCELLED, "left the queue", Slot.Status.BUSY),
        late.pk: (Booking.Status.CANCELLED, "left the queue", Slot.Status.FREE),
        booked.pk: (Booking.Status.BOOKED, "", Slot.Status.BUSY),
    }
    assert services.bookings_arrived_cancel(booking_ids=[], reason="x", now=now) == 0


def test_check_in_on_another_day_is_refused(office: Office) -> None:
    booking = hold(office, confirm=True)
    with pytest.raises(ApplicationError) as caught:
        services.booking_check_in(code=booking.code, now=office.slots[0].start - dt.timedelta(1))
    assert caught.value.field == "code"
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_check_in_with_an_unknown_code_is_not_found(office: Office) -> None:
    with pytest.raises(NotFound) as caught:
        services.booking_check_in(code="ZZZZZZ")
    assert caught.value.field == "code"


def test_the_tick_expires_holds_marks_noshows_and_reminds_once(office: Office, settings) -> None:
    # Tomorrow's slots are 9 to 59 hours away, whatever the time of day the test runs.
    settings.GOROD_SCHEDULING_REMINDER_LEAD_MINUTES = 60 * 60
    held = hold(office, slot=office.slots[0])
    booked = hold(office, slot=office.slots[8], confirm=True)
    assert held.hold_expires_at is not None
    report = services.tick(now=held.hold_expires_at)
    assert report == {"holds_expired": 1, "noshows": 0, "reminders": 1}
    assert services.tick(now=held.hold_expires_at)["reminders"] == 0
    assert Notification.objects.filter(user=office.citizen.user).count() == 1
    late = office.slots[8].start + dt.timedelta(minutes=16)
    assert services.tick(now=late)["noshows"] == 1
    booked.refresh_from_db()
    assert booked.status == Booking.Status.NOSHOW


def test_a_child_booked_at_the_desk_is_reminded_through_the_guardians_not_the_clerk(
    office: Office, settings
) -> None:
    settings.GOROD_SCHEDULING_REMINDER_LEAD_MINUTES = 60 * 60
    child = child_of(office.citizen)  # a child has no account of their own
    other_parent = CitizenFactory.create()
    child.guardians.create(guardian=other_parent)
    clerk = OfficialFactory.create(institution=office.resource.institution)
    services.booking_hold(
        slot=office.slots[0],
        citizen=child,
        service=office.service,
        by_user=clerk.user,
        confirm=True,
    )
    assert services.reminders_send(now=timezone.now()) == 1
    told = set(
        Notification.objects.filter(kind="scheduling.reminder").values_list("user", flat=True)
    )
    assert told == {account(office.citizen).pk, account(other_parent).pk}
    assert services.reminders_send(now=timezone.now()) == 0


def test_the_database_refuses_a_second_active_booking_of_a_slot(office: Office) -> None:
    booking = hold(office)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            slot=booking.slot,
            citizen=CitizenFactory.create(),
            service=office.service,
            status=Booking.Status.BOOKED,
            code="OTHER1",
        )


def test_the_booking_answered_is_the_row_stored(office: Office) -> None:
    booking = hold(office, confirm=True)
    stored = Booking.objects.get(pk=booking.pk)
    assert (stored.slot_id, stored.citizen_id, stored.service_id) == (
        office.slots[0].pk,
        office.citizen.pk,
        office.service.pk,
    )
    assert (stored.status, stored.code, stored.booked_by_id) == (
        booking.status,
        booking.code,
        office.citizen.user_id,
    )
    assert stored.hold_expires_at == booking.hold_expires_at
    assert stored.created_at == booking.created_at
    assert stored.cancelled_reason == ""
    assert Slot.objects.get(pk=office.slots[0].pk).status == Slot.Status.BUSY
    booking.full_clean()  # a row of the database, not a new one clashing with itself


def test_at_the_limit_a_taken_slot_is_refused_by_the_limit(office: Office) -> None:
    hold(office, slot=office.slots[0])
    hold(office, slot=office.slots[1])
    rival = CitizenFactory.create()
    assert rival.user is not None
    services.booking_hold(
        slot=office.slots[2], citizen=rival, service=office.service, by_user=rival.user
    )
    with pytest.raises(ApplicationError) as caught:
        hold(office, slot=office.slots[2])
    assert (type(caught.value), caught.value.field) == (ApplicationError, "service_id")
    assert caught.value.extra == {"limit": 2}


def test_check_in_codes_use_every_symbol_of_the_alphabet_and_no_other() -> None:
    codes = [services.code_new() for _ in range(3200)]
    assert {len(code) for code in codes} == {services.CODE_LENGTH}
    # 19,200 symbols: one of the 32 missing would happen once in e^600 runs.
    assert set("".join(codes)) == set(services.CODE_ALPHABET)
    assert len(set(codes)) > 3190  # 32^6 codes: repeats are rare


def test_a_check_in_code_already_issued_is_drawn_again(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = hold(office, slot=office.slots[0])
    codes = iter([first.code, "ZZZ222"])
    monkeypatch.setattr(services, "code_new", lambda: next(codes))
    second = hold(office, slot=office.slots[1])
    assert second.code == "ZZZ222"
    assert Booking.objects.get(pk=second.pk).code == "ZZZ222"


def test_a_rescheduled_booking_is_not_held_back_by_the_limit(office: Office) -> None:
    hold(office, slot=office.slots[0])
    second = hold(office, slot=office.slots[1])
    moved = services.booking_reschedule(
        booking=second, new_slot=office.slots[2], by_user=account(office.citizen)
    )
    assert moved.slot_id == office.slots[2].pk
    assert Booking.objects.get(pk=moved.pk).rescheduled_from_id == second.pk


def test_a_booking_moved_after_its_reminder_is_reminded_of_the_new_time(
    office: Office, settings
) -> None:
    settings.GOROD_SCHEDULING_REMINDER_LEAD_MINUTES = 60 * 60
    booked = hold(office, slot=office.slots[0], confirm=True)
    assert services.reminders_send(now=timezone.now()) == 1
    moved = services.booking_reschedule(
        booking=booked, new_slot=office.slots[4], by_user=account(office.citizen)
    )
    assert services.reminders_send(now=timezone.now()) == 1
    assert services.reminders_send(now=timezone.now()) == 0
    first, second = Notification.objects.filter(user=office.citizen.user).order_by("pk")
    assert booked.code in first.body
    assert moved.code in second.body
    assert Booking.objects.get(pk=moved.pk).reminded_at is not None


@pytest.mark.parametrize("role", [Role.REGISTRY_CLERK, Role.OFFICE_HEAD])
def test_an_official_at_the_desk_books_for_a_visitor(office: Office, role: str) -> None:
    clerk = OfficialFactory.create(role=role, institution=office.resource.institution)
    booking = services.booking_hold(
        slot=office.slots[0],
        citizen=office.citizen,
        service=office.service,
        by_user=clerk.user,
        confirm=True,
    )
    stored = Booking.objects.get(pk=booking.pk)
    assert (stored.citizen_id, stored.booked_by_id) == (office.citizen.pk, clerk.user_id)


@pytest.mark.parametrize(
    "official",
    ["a clerk of another office", "a doctor of the same institution"],
)
def test_other_officials_cannot_book_for_a_citizen(office: Office, official: str) -> None:
    if official == "a clerk of another office":
        someone = OfficialFactory.create()
    else:
        someone = OfficialFactory.create(role=Role.DOCTOR, institution=office.resource.institution)
    with pytest.raises(ApplicationError) as caught:
        services.booking_hold(
            slot=office.slots[0],
            citizen=office.citizen,
            service=office.service,
            by_user=someone.user,
        )
    assert caught.value.field == "citizen_id"
    assert not Booking.objects.exists()
