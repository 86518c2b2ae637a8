"""Resources, their working calendars, slots and bookings.

Generic on purpose: a resource is an office counter today and a doctor tomorrow. Slots
follow HL7 FHIR ``Slot`` (free, busy, busy-unavailable) and bookings FHIR ``Appointment``
(proposed, pending, booked, arrived, fulfilled, cancelled, noshow, entered-in-error).

The central invariant lives in the database: a slot carries at most one *active* booking
(pending, booked, arrived or fulfilled) — a partial unique index, so two concurrent
requests for one slot cannot both win, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from gorod.people.models import Citizen
from gorod.places.models import Institution


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class Service(models.Model):
    """What a visitor books: offered by one institution, or by every institution of a kind."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    duration_minutes = models.PositiveSmallIntegerField(_("duration, minutes"), default=15)
    institution_kind = models.CharField(
        _("institution kind"), max_length=32, choices=Institution.Kind.choices, blank=True
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="booking_services",
        verbose_name=_("institution"),
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=1, duration_minutes__lte=480),
                name="scheduling_service_duration_sane",
            ),
            models.CheckConstraint(
                condition=~Q(institution_kind="") | Q(institution__isnull=False),
                name="scheduling_service_offered_somewhere",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Resource(models.Model):
    """Something whose time is booked: a counter, a hall, a doctor."""

    class Kind(models.TextChoices):
        COUNTER = "counter", _("counter")
        ROOM = "room", _("room")
        PRACTITIONER = "practitioner", _("practitioner")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.COUNTER)
    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        related_name="resources",
        verbose_name=_("institution"),
    )
    services = models.ManyToManyField(
        Service, related_name="resources", blank=True, verbose_name=_("services")
    )
    slot_minutes = models.PositiveSmallIntegerField(_("slot length, minutes"), default=15)
    capacity = models.PositiveSmallIntegerField(_("visitors at once"), default=1)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["institution", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "name"], name="scheduling_resource_name_once"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=480),
                name="scheduling_resource_slot_sane",
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=1), name="scheduling_resource_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WeeklySpan(models.Model):
    """An interval of a resource on a weekday, local time."""

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        abstract = True
        ordering = ["resource", "weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="%(app_label)s_%(class)s_order"
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6), name="%(app_label)s_%(class)s_weekday"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class WorkingHours(WeeklySpan):
    """One open interval of a resource on a weekday."""

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="hours", verbose_name=_("resource")
    )

    class Meta(WeeklySpan.Meta):
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            *WeeklySpan.Meta.constraints,
            models.UniqueConstraint(
                fields=["resource", "weekday", "start"], name="scheduling_hours_once"
            ),
        ]


class Break(WeeklySpan):
    """A pause inside a resource's working hours (lunch, technical break)."""

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="breaks", verbose_name=_("resource")
    )

    class Meta(WeeklySpan.Meta):
        verbose_name = _("break")
        verbose_name_plural = _("breaks")


class CalendarException(models.Model):
    """A day off the weekly pattern: the production calendar's holidays, shortened
    pre-holiday days and transferred working days, city-wide (no resource) or for one
    resource (a doctor's leave)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("day off")
        SHORT = "short", _("shortened day")
        WORKING_DAY = "working_day", _("working day")

    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    resource = models.ForeignKey(
        Resource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exceptions",
        verbose_name=_("resource"),
    )
    hours_shorter = models.PositiveSmallIntegerField(
        _("hours shorter"), default=1, help_text=_("For a shortened day: by how many hours.")
    )
    name = models.CharField(_("name"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"],
                condition=Q(resource__isnull=True),
                name="scheduling_exception_city_once",
            ),
            models.UniqueConstraint(
                fields=["date", "resource"],
                condition=Q(resource__isnull=False),
                name="scheduling_exception_resource_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


class Slot(models.Model):
    """A bookable interval of a resource (FHIR Slot), for one service or any of the
    resource's services when ``service`` is empty."""

    class Status(models.TextChoices):
        FREE = "free", _("free")
        BUSY = "busy", _("busy")
        BUSY_UNAVAILABLE = "busy-unavailable", _("unavailable")

    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="slots", verbose_name=_("resource")
    )
    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="slots",
        verbose_name=_("service"),
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.FREE
    )

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["start", "resource"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "start"], name="scheduling_slot_once"),
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="scheduling_slot_order"),
        ]
        indexes = [
            models.Index(fields=["status", "start"], name="scheduling_slot_free_idx"),
            # A resource's free slots in order: the first available time reads one a
            # counter, however many other offices and services share the table.
            models.Index(
                fields=["resource", "start"],
                condition=Q(status="free"),
                name="scheduling_slot_free_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.start:%Y-%m-%d %H:%M}"


ACTIVE_STATUSES = ("pending", "booked", "arrived", "fulfilled")


class Booking(models.Model):
    """A citizen's appointment in a slot (FHIR Appointment)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        PENDING = "pending", _("held")
        BOOKED = "booked", _("booked")
        ARRIVED = "arrived", _("arrived")
        FULFILLED = "fulfilled", _("fulfilled")
        CANCELLED = "cancelled", _("cancelled")
        NOSHOW = "noshow", _("did not come")
        ENTERED_IN_ERROR = "entered-in-error", _("entered in error")

    slot = models.ForeignKey(
        Slot, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("slot")
    )
    citizen = models.ForeignKey(
        Citizen, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("citizen")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("service")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    code = models.CharField(_("check-in code"), max_length=12, unique=True)
    hold_expires_at = models.DateTimeField(_("hold expires"), null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("booked by"),
    )
    rescheduled_from = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rescheduled_to",
        verbose_name=_("rescheduled from"),
    )
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    # Who cancelled it (the visitor, a guardian, an official at the desk); empty when the
    # platform did (a hold that expired) or for a booking that is not cancelled. Indexed
    # only where set (below): a new booking adds nothing to the index.
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    arrived_at = models.DateTimeField(_("arrived"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="scheduling_slot_booked_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="pending") | Q(hold_expires_at__isnull=False),
                name="scheduling_hold_expires",
            ),
        ]
        indexes = [
            models.Index(fields=["citizen", "status"], name="scheduling_booking_citizen_idx"),
            models.Index(fields=["status", "hold_expires_at"], name="scheduling_booking_hold_idx"),
            # A citizen's live bookings of a service, which the limit counts on every
            # booking: only these rows, whatever the planner's statistics say of the rest.
            models.Index(
                fields=["citizen", "service"],
                condition=Q(status__in=["pending", "booked"]),
                name="scheduling_booking_live_idx",
            ),
            models.Index(
                fields=["cancelled_by"],
                condition=Q(cancelled_by__isnull=False),
                name="scheduling_booking_cancel_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.get_status_display()}"
