"""Meters as the utilities see them, their monthly readings, tariffs, bills and AI alerts.

A meter is a telemetry ``Device`` of a meter type: a smart one reports by itself, a manual
one is a device that never sends (its secret is simply unused) and is read by its
residents. The monthly register value of a meter is a ``Reading``; at most one reading per
meter and month is in effect (accepted or estimated), the others keep the history of
corrections and refusals.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Resource(models.TextChoices):
    WATER_COLD = "water_cold", _("cold water")
    WATER_HOT = "water_hot", _("hot water")
    HEAT = "heat", _("heat")
    POWER_DAY = "power_t1", _("electricity, day")
    POWER_NIGHT = "power_t2", _("electricity, night")


# The telemetry metric a smart meter reports its register as, and the unit.
RESOURCE_METRIC = {
    Resource.WATER_COLD: "water_cold_m3",
    Resource.WATER_HOT: "water_hot_m3",
    Resource.HEAT: "heat_gcal",
    Resource.POWER_DAY: "power_kwh_t1",
    Resource.POWER_NIGHT: "power_kwh_t2",
}
RESOURCE_UNIT = {
    Resource.WATER_COLD: _("m³"),
    Resource.WATER_HOT: _("m³"),
    Resource.HEAT: _("Gcal"),
    Resource.POWER_DAY: _("kWh"),
    Resource.POWER_NIGHT: _("kWh"),
}


class Meter(models.Model):
    device = models.OneToOneField(
        "telemetry.Device",
        on_delete=models.PROTECT,
        related_name="meter",
        verbose_name=_("device"),
    )
    apartment = models.ForeignKey(
        "places.Apartment",
        on_delete=models.PROTECT,
        related_name="meters",
        verbose_name=_("apartment"),
    )
    resource = models.CharField(_("resource"), max_length=16, choices=Resource.choices)
    serial = models.CharField(_("serial number"), max_length=40)
    digits = models.PositiveSmallIntegerField(_("register digits"), default=5)
    is_smart = models.BooleanField(_("smart meter"), default=False)
    initial_value = models.DecimalField(
        _("value when installed"), default=0, max_digits=12, decimal_places=3
    )
    installed_on = models.DateField(_("installed on"))
    verified_until = models.DateField(_("verified until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("meter")
        verbose_name_plural = _("meters")
        ordering = ["apartment", "resource"]
        constraints = [
            models.UniqueConstraint(
                fields=["apartment", "resource"],
                condition=Q(is_active=True),
                name="meter_one_active_per_resource",
            ),
            models.UniqueConstraint(fields=["resource", "serial"], name="meter_serial_once"),
            models.CheckConstraint(
                condition=Q(digits__gte=3, digits__lte=9), name="meter_digits_range"
            ),
            models.CheckConstraint(
                condition=Q(initial_value__gte=0), name="meter_initial_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_resource_display()} № {self.serial}"

    @property
    def unit(self) -> str:
        return str(RESOURCE_UNIT[Resource(self.resource)])


class Reading(models.Model):
    class Source(models.TextChoices):
        CITIZEN = "citizen", _("resident")
        SMART = "smart", _("smart meter")
        ESTIMATE = "estimate", _("estimate")
        OPERATOR = "operator", _("operator")

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        ESTIMATED = "estimated", _("estimated")
        SUPERSEDED = "superseded", _("superseded")

    meter = models.ForeignKey(
        Meter, on_delete=models.CASCADE, related_name="readings", verbose_name=_("meter")
    )
    period = models.DateField(_("month"), help_text=_("the first day of the month"))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=3)
    consumption = models.DecimalField(
        _("consumption"), null=True, blank=True, max_digits=12, decimal_places=3
    )
    read_on = models.DateField(_("read on"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    # A reason code of ``gorod.utilities.vee.Reason`` (or "estimate_average" ...) and the
    # figures its message names; the words are made when shown, in the reader's language.
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    reason_params = models.JSONField(_("reason figures"), default=dict, blank=True)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["meter", "-period", "-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["meter", "period"],
                condition=Q(status__in=["accepted", "estimated"]),
                name="reading_one_in_effect_per_month",
            ),
            models.CheckConstraint(condition=Q(period__day=1), name="reading_period_is_a_month"),
            models.CheckConstraint(condition=Q(value__gte=0), name="reading_value_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="estimated") | Q(source="estimate"),
                name="reading_only_estimates_are_estimated",
            ),
            models.CheckConstraint(
                condition=~Q(source="estimate") | Q(status__in=["estimated", "superseded"]),
                name="reading_estimates_estimated_or_superseded",
            ),
        ]
        indexes = [models.Index(fields=["period", "status"])]

    def __str__(self) -> str:
        return f"{self.meter}: {self.value} ({self.period:%Y-%m})"

    @property
    def explanation(self) -> str:
        """Why the reading was refused or estimated, in plain words."""
        from gorod.utilities.reasons import reason_text

        return reason_text(self.reason, self.reason_params)


class Tariff(models.Model):
    resource = models.CharField(_("resource"), max_length=16, choices=Resource.choices)
    price = models.DecimalField(_("price per unit, ₽"), max_digits=12, decimal_places=2)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["resource", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "valid_from"], name="tariff_once_a_day"),
            models.CheckConstraint(condition=Q(price__gte=0), name="tariff_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_resource_display()}: {self.price} ₽ ({self.valid_from})"


class Bill(models.Model):
    apartment = models.ForeignKey(
        "places.Apartment",
        on_delete=models.PROTECT,
        related_name="bills",
        verbose_name=_("apartment"),
    )
    period = models.DateField(_("month"))
    total = models.DecimalField(_("total, ₽"), max_digits=12, decimal_places=2)
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bill")
        verbose_name_plural = _("bills")
        ordering = ["-period", "apartment"]
        constraints = [
            models.UniqueConstraint(fields=["apartment", "period"], name="bill_once_a_month"),
            models.CheckConstraint(condition=Q(period__day=1), name="bill_period_is_a_month"),
        ]

    def __str__(self) -> str:
        return f"{self.apartment}: {self.period:%Y-%m}"


class BillLine(models.Model):
    class Kind(models.TextChoices):
        ACTUAL = "actual", _("by the meter")
        ESTIMATED = "estimated", _("estimated")
        RECALCULATED = "recalculated", _("recalculated")

    bill = models.ForeignKey(
        Bill, on_delete=models.CASCADE, related_name="lines", verbose_name=_("bill")
    )
    meter = models.ForeignKey(
        Meter, on_delete=models.PROTECT, related_name="bill_lines", verbose_name=_("meter")
    )
    resource = models.CharField(_("resource"), max_length=16, choices=Resource.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    price = models.DecimalField(_("price per unit, ₽"), max_digits=12, decimal_places=2)
    amount = models.DecimalField(_("amount, ₽"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("bill line")
        verbose_name_plural = _("bill lines")
        ordering = ["bill", "resource"]
        constraints = [
            models.UniqueConstraint(fields=["bill", "meter"], name="bill_line_once_per_meter"),
        ]

    def __str__(self) -> str:
        return f"{self.get_resource_display()}: {self.amount} ₽"


class Alert(models.Model):
    """An AI decision an operator sees: what was found, why, and the data behind it."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CONFIRMED = "confirmed", _("confirmed")
        DISMISSED = "dismissed", _("dismissed (false alarm)")

    meter = models.ForeignKey(
        Meter, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("meter")
    )
    kind = models.CharField(_("kind"), max_length=32)
    day = models.DateField(_("day"))
    reason = models.TextField(_("reason"))
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    score = models.FloatField(_("score"), default=0.0)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-day", "-score"]
        constraints = [
            models.UniqueConstraint(fields=["meter", "kind", "day"], name="alert_once_a_day"),
            models.CheckConstraint(
                condition=Q(status="open", decided_at__isnull=True)
                | (~Q(status="open") & Q(decided_at__isnull=False)),
                name="alert_decided_when_closed",
            ),
        ]
        indexes = [models.Index(fields=["status", "day"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.meter} {self.day}"

    @property
    def kind_label(self) -> str:
        from gorod.utilities.reasons import kind_label

        return kind_label(self.kind)

    @property
    def explanation(self) -> str:
        """Why the detector raised the alert, in plain words."""
        from gorod.utilities.reasons import alert_reason_text

        return alert_reason_text(self.reason)


class Forecast(models.Model):
    """A district's daily water use (m³) and the forecast made from it, for the operators."""

    district = models.ForeignKey(
        "places.District",
        on_delete=models.CASCADE,
        related_name="water_forecasts",
        verbose_name=_("district"),
    )
    made_at = models.DateTimeField(_("made at"), auto_now_add=True)
    # {"days": ["2026-03-01", ...], "m3": [...]}
    history = models.JSONField(_("history"), default=dict)
    # {"days": [...], "yhat": [...], "lo": [...], "hi": [...], "level": 80}
    forecast = models.JSONField(_("forecast"), default=dict)

    class Meta:
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")
        ordering = ["-made_at"]
        indexes = [models.Index(fields=["district", "made_at"])]

    def __str__(self) -> str:
        return f"{self.district} {self.made_at:%Y-%m-%d}"

    @property
    def rows(self) -> list[tuple[str, float, float, float]]:
        ahead = self.forecast
        return list(
            zip(
                ahead.get("days", []),
                ahead.get("yhat", []),
                ahead.get("lo", []),
                ahead.get("hi", []),
                strict=False,
            )
        )
