"""Offices, their services and counters, clerks on shift, and the tickets of the day.

An office is a civil registry office or a public service centre (``places.Institution``).
A ticket's number (``A-017``) is unique per office, letter and day; every action on a
ticket is a timed ``TicketEvent``, so service times and waits are learned from history.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gorod.places.models import Institution

OFFICE_KINDS = (Institution.Kind.REGISTRY_OFFICE, Institution.Kind.SERVICE_CENTRE)


class OfficeManager(models.Manager["Office"]):
    def get_queryset(self) -> models.QuerySet[Office]:
        return super().get_queryset().filter(kind__in=OFFICE_KINDS)


class Office(Institution):
    """An institution that runs an electronic queue."""

    objects: ClassVar[OfficeManager] = OfficeManager()

    class Meta:
        proxy = True
        verbose_name = _("office")
        verbose_name_plural = _("offices")


class QueueService(models.Model):
    """What a visitor comes for: at one office, or at every office of a kind."""

    office = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="queue_services",
        verbose_name=_("office"),
    )
    institution_kind = models.CharField(
        _("kind of office"), max_length=32, choices=Institution.Kind.choices, blank=True
    )
    letter = models.CharField(_("ticket letter"), max_length=1)
    name = models.CharField(_("name"), max_length=200)
    documents = models.TextField(_("documents to bring"), blank=True, help_text=_("One a line."))
    average_minutes = models.PositiveSmallIntegerField(_("average duration, minutes"), default=15)
    booking_service = models.ForeignKey(
        "scheduling.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="queue_services",
        verbose_name=_("booked as"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("queue service")
        verbose_name_plural = _("queue services")
        ordering = ["letter", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(office__isnull=False) & Q(institution_kind=""))
                | (Q(office__isnull=True) & ~Q(institution_kind="")),
                name="queues_service_office_or_kind",
            ),
            models.CheckConstraint(condition=Q(letter__regex=r"^[A-Z]$"), name="queues_letter"),
            models.CheckConstraint(
                condition=Q(average_minutes__gte=1, average_minutes__lte=480),
                name="queues_service_minutes_sane",
            ),
            models.UniqueConstraint(
                fields=["office", "letter"],
                condition=Q(office__isnull=False),
                name="queues_letter_once_per_office",
            ),
            models.UniqueConstraint(
                fields=["institution_kind", "letter"],
                condition=Q(office__isnull=True),
                name="queues_letter_once_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter} · {self.name}"

    @property
    def document_list(self) -> list[str]:
        return [line.strip() for line in self.documents.splitlines() if line.strip()]


class Counter(models.Model):
    """A window where a clerk serves visitors for some of the office's services."""

    office = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="counters", verbose_name=_("office")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    services = models.ManyToManyField(
        QueueService, related_name="counters", blank=True, verbose_name=_("services")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        ordering = ["office", "number"]
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="queues_counter_once"),
            models.CheckConstraint(condition=Q(number__gte=1), name="queues_counter_positive"),
        ]

    def __str__(self) -> str:
        return str(_("Counter %(number)s") % {"number": self.number})


class Shift(models.Model):
    """A clerk at a counter; an open shift (no end yet) means the counter is serving."""

    counter = models.ForeignKey(
        Counter, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("counter")
    )
    clerk = models.ForeignKey(
        "people.Official", on_delete=models.PROTECT, related_name="shifts", verbose_name=_("clerk")
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"), null=True, blank=True)

    class Meta:
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(start__lt=models.F("end")),
                name="queues_shift_order",
            ),
            models.UniqueConstraint(
                fields=["counter"], condition=Q(end__isnull=True), name="queues_one_open_shift"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counter} {self.start:%Y-%m-%d %H:%M}"


def ticket_token() -> str:
    return secrets.token_urlsafe(12)


class Ticket(models.Model):
    """A visitor's place in the queue for one day."""

    class Kind(models.TextChoices):
        WALK_IN = "walk_in", _("walk-in")
        BOOKED = "booked", _("booked")

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        CALLED = "called", _("called")
        SERVING = "serving", _("being served")
        DONE = "done", _("served")
        NO_SHOW = "no_show", _("did not come")
        CANCELLED = "cancelled", _("cancelled")

    office = models.ForeignKey(
        Institution, on_delete=models.CASCADE, related_name="tickets", verbose_name=_("office")
    )
    service = models.ForeignKey(
        QueueService, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("service")
    )
    day = models.DateField(_("day"))
    letter = models.CharField(_("letter"), max_length=1)
    number = models.PositiveSmallIntegerField(_("number"))
    token = models.CharField(max_length=32, unique=True, default=ticket_token, editable=False)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.WALK_IN)
    booking = models.OneToOneField(
        "scheduling.Booking",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ticket",
        verbose_name=_("booking"),
    )
    appointment_at = models.DateTimeField(_("appointment"), null=True, blank=True)
    priority = models.CharField(_("priority category"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.WAITING
    )
    counter = models.ForeignKey(
        Counter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("counter"),
    )
    clerk = models.ForeignKey(
        "people.Official",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("clerk"),
    )
    issued_at = models.DateTimeField(_("issued"))
    called_at = models.DateTimeField(_("called"), null=True, blank=True)
    served_at = models.DateTimeField(_("service began"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    recalls = models.PositiveSmallIntegerField(_("recalls"), default=0)
    transfers = models.PositiveSmallIntegerField(_("transfers"), default=0)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["issued_at", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "letter", "number"], name="queues_ticket_number_once"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["called", "serving"]) | Q(counter__isnull=False),
                name="queues_called_at_a_counter",
            ),
            models.CheckConstraint(
                condition=~Q(status="waiting") | Q(counter__isnull=True),
                name="queues_waiting_at_no_counter",
            ),
            models.UniqueConstraint(
                fields=["counter"],
                condition=Q(status__in=["called", "serving"]),
                name="queues_one_visitor_per_counter",
            ),
            models.CheckConstraint(
                condition=Q(kind="walk_in") | Q(appointment_at__isnull=False),
                name="queues_booked_has_appointment",
            ),
        ]
        indexes = [models.Index(fields=["office", "status", "day"], name="queues_ticket_queue_idx")]

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        return f"{self.letter}-{self.number:03d}"


class TicketEvent(models.Model):
    """One action on a ticket, timed: the history the estimators learn from."""

    class Action(models.TextChoices):
        ISSUED = "issued", _("issued")
        CHECKED_IN = "checked_in", _("checked in")
        CALLED = "called", _("called")
        RECALLED = "recalled", _("called again")
        STARTED = "started", _("service began")
        NO_SHOW = "no_show", _("did not come")
        TRANSFERRED = "transferred", _("transferred")
        FINISHED = "finished", _("finished")
        CANCELLED = "cancelled", _("cancelled")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", verbose_name=_("ticket")
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    at = models.DateTimeField(_("at"))
    seconds = models.FloatField(_("seconds since the previous action"), null=True, blank=True)
    counter = models.ForeignKey(
        Counter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clerk = models.ForeignKey(
        "people.Official", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(
        QueueService, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["action", "at"], name="queues_event_action_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.action} {self.at:%H:%M:%S}"
