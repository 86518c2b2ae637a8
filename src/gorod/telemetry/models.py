"""Devices, their latest state, dead letters and ingest statistics.

Readings themselves live in the telemetry table (``table.py``), not here: the database holds
the registry (who may report what), the latest value of each device's metric, and what was
refused and why.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

DEVICE_ID_MAX = 128
"""Device ids are the external ids printed on devices (``wm-000123``), also an MQTT topic level."""


class DeviceType(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    metrics = models.JSONField(_("metrics"), default=list, help_text=_("metric names"))

    class Meta:
        verbose_name = _("device type")
        verbose_name_plural = _("device types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Device(models.Model):
    """A device with its secret; linked to exactly one apartment, building or institution."""

    id = models.CharField(_("device id"), max_length=DEVICE_ID_MAX, primary_key=True)
    device_type = models.ForeignKey(
        DeviceType, on_delete=models.PROTECT, related_name="devices", verbose_name=_("type")
    )
    apartment = models.ForeignKey(
        "places.Apartment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("apartment"),
    )
    building = models.ForeignKey(
        "places.Building",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("building"),
    )
    institution = models.ForeignKey(
        "places.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="devices",
        verbose_name=_("institution"),
    )
    # Denormalised from the place, so queries by district need no join.
    district = models.ForeignKey(
        "places.District",
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("district"),
    )
    gateway = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        limit_choices_to={"is_gateway": True},
        verbose_name=_("gateway"),
    )
    secret_hash = models.CharField(_("secret hash (SHA-256)"), max_length=64)
    broker_hash = models.CharField(_("broker password hash"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_gateway = models.BooleanField(_("gateway"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(apartment__isnull=False, building__isnull=True, institution__isnull=True)
                    | Q(apartment__isnull=True, building__isnull=False, institution__isnull=True)
                    | Q(apartment__isnull=True, building__isnull=True, institution__isnull=False)
                ),
                name="device_one_place",
            ),
            models.CheckConstraint(
                condition=Q(id__regex=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"), name="device_id_topic_safe"
            ),
        ]
        indexes = [models.Index(fields=["district", "device_type"])]

    def __str__(self) -> str:
        return self.id


class DeviceState(models.Model):
    """The latest value of one metric of one device."""

    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="states", verbose_name=_("device")
    )
    metric = models.CharField(_("metric"), max_length=64)
    ts = models.DateTimeField(_("time"))
    value = models.FloatField(_("value"))

    class Meta:
        verbose_name = _("latest value")
        verbose_name_plural = _("latest values")
        ordering = ["device", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["device", "metric"], name="device_state_once"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.metric}={self.value}"


class DeadLetter(models.Model):
    """Something refused at ingestion, with the reason; ``count`` like items of one message."""

    class Source(models.TextChoices):
        MQTT = "mqtt", "MQTT"
        HTTP = "http", "HTTP"

    received_at = models.DateTimeField(_("received"), db_index=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    topic = models.CharField(_("topic"), max_length=300, blank=True)
    device_id = models.CharField(_("device id"), max_length=DEVICE_ID_MAX, blank=True)
    reason = models.CharField(_("reason"), max_length=32, db_index=True)
    message = models.CharField(_("message"), max_length=500)
    count = models.PositiveIntegerField(_("items"), default=1)
    payload = models.TextField(_("payload (truncated)"), blank=True)

    class Meta:
        verbose_name = _("dead letter")
        verbose_name_plural = _("dead letters")
        ordering = ["-received_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(count__gte=1), name="dead_letter_count")]

    def __str__(self) -> str:
        return f"{self.reason}: {self.device_id or self.topic}"


class IngestStat(models.Model):
    """One worker's counts over one window: the ingestion status page reads these."""

    worker = models.CharField(_("worker"), max_length=200)
    window_start = models.DateTimeField(_("window start"))
    window_seconds = models.FloatField(_("window, seconds"))
    messages = models.PositiveIntegerField(_("messages"), default=0)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    max_lag_s = models.FloatField(_("maximum lag, seconds"), default=0.0)

    class Meta:
        verbose_name = _("ingest statistic")
        verbose_name_plural = _("ingest statistics")
        ordering = ["-window_start"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "window_start"], name="ingest_stat_once"),
            models.CheckConstraint(condition=Q(window_seconds__gt=0), name="ingest_stat_window"),
        ]

    def __str__(self) -> str:
        return f"{self.worker} @ {self.window_start:%Y-%m-%d %H:%M:%S}"


# --- rules and alarms (T3) ---

from django.utils.translation import pgettext_lazy  # noqa: E402 - this section's own import


class RuleQuerySet(models.QuerySet["Rule"]):
    def active(self) -> RuleQuerySet:
        return self.filter(is_active=True)


class Rule(models.Model):
    """An alarm rule on one metric, for one device type or district, or for every device."""

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", _("threshold")
        RATE = "rate", _("rate of change")
        PERSISTENCE = "persistence", _("persistence")
        SILENCE = "silence", _("silence")
        FLAG = "flag", _("flag")

    class Severity(models.TextChoices):
        INFO = "info", _("information")
        WARNING = "warning", _("warning")
        CRITICAL = "critical", _("critical")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    metric = models.CharField(
        _("metric"), max_length=64, blank=True, help_text=_("blank: the device as a whole")
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    device_type = models.ForeignKey(
        DeviceType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="rules",
        verbose_name=_("device type"),
    )
    district = models.ForeignKey(
        "places.District",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="telemetry_rules",
        verbose_name=_("district"),
    )
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.WARNING
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("alarm rule")
        verbose_name_plural = _("alarm rules")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["threshold", "rate", "persistence", "silence", "flag"]),
                name="rule_kind_known",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=["info", "warning", "critical"]),
                name="rule_severity_known",
            ),
            models.CheckConstraint(
                condition=Q(kind="silence") | ~Q(metric=""), name="rule_metric_unless_silence"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AlarmQuerySet(models.QuerySet["Alarm"]):
    def open(self) -> AlarmQuerySet:
        return self.exclude(status=Alarm.Status.CLEARED)


class Alarm(models.Model):
    """A rule fired for a device: active, then acknowledged by an operator, then cleared."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("alarm", "active")
        ACKNOWLEDGED = "acknowledged", pgettext_lazy("alarm", "acknowledged")
        CLEARED = "cleared", pgettext_lazy("alarm", "cleared")

    rule = models.ForeignKey(
        Rule, on_delete=models.PROTECT, related_name="alarms", verbose_name=_("rule")
    )
    device = models.ForeignKey(
        Device, on_delete=models.CASCADE, related_name="alarms", verbose_name=_("device")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    raised_at = models.DateTimeField(_("raised"), db_index=True)
    reason = models.CharField(_("reason"), max_length=32)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "people.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        "people.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cleared by"),
    )
    clear_reason = models.CharField(_("why cleared"), max_length=32, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = AlarmQuerySet.as_manager()

    class Meta:
        verbose_name = _("alarm")
        verbose_name_plural = _("alarms")
        ordering = ["-raised_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "device"],
                condition=~Q(status="cleared"),
                name="alarm_open_once",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "acknowledged", "cleared"]),
                name="alarm_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="acknowledged") | Q(acknowledged_at__isnull=False),
                name="alarm_acknowledged_when",
            ),
            models.CheckConstraint(
                condition=Q(status="cleared", cleared_at__isnull=False)
                | (~Q(status="cleared") & Q(cleared_at__isnull=True)),
                name="alarm_cleared_when",
            ),
        ]
        indexes = [models.Index(fields=["status", "device"])]

    def __str__(self) -> str:
        return f"{self.rule} — {self.device_id}"
