"""Back office: device types, devices (in the official's scope), latest values, dead letters
and ingest statistics. Devices are provisioned and re-keyed through the services (API or
``gorod telemetry``), never edited here: a secret is shown once, when it is made."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gorod.people.admin import ReadOnlyAdmin
from gorod.people.scope import restrict
from gorod.telemetry.models import DeadLetter, Device, DeviceState, DeviceType, IngestStat


@admin.register(DeviceType)
class DeviceTypeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "metric_list")
    search_fields = ("code", "name")

    @admin.display(description=_("metrics"))
    def metric_list(self, obj: DeviceType) -> str:
        return ", ".join(obj.metrics)


class StateInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DeviceState
    extra = 0
    can_delete = False
    fields = ("metric", "ts", "value")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Device)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "device_type",
        "district",
        "apartment",
        "building",
        "is_active",
        "is_gateway",
        "last_seen_at",
    )
    list_filter = ("device_type", "is_active", "is_gateway", "district")
    search_fields = ("id", "apartment__building__address", "building__address")
    list_select_related = ("device_type", "district", "apartment__building", "building")
    exclude = ("secret_hash", "broker_hash")
    inlines = (StateInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return restrict(
            super().get_queryset(request),
            request.user,
            district="district",
            institution="institution",
        )


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "source", "reason", "device_id", "count", "message")
    list_filter = ("reason", "source")
    search_fields = ("device_id", "topic")
    date_hierarchy = "received_at"


@admin.register(IngestStat)
class IngestStatAdmin(ReadOnlyAdmin):
    list_display = (
        "worker",
        "window_start",
        "window_seconds",
        "messages",
        "accepted",
        "rejected",
        "duplicates",
        "max_lag_s",
    )
    list_filter = ("worker",)


# --- rules and alarms (T3) ---

from django import forms  # noqa: E402 - this section's own imports
from django.urls import reverse  # noqa: E402
from django.utils.html import format_html  # noqa: E402

from gorod.errors import ApplicationError  # noqa: E402
from gorod.telemetry import alarms as alarm_services  # noqa: E402
from gorod.telemetry.models import Alarm, Rule  # noqa: E402


class RuleForm(forms.ModelForm):  # type: ignore[type-arg]
    """A rule's parameters are checked by the rules module before they are saved."""

    class Meta:
        model = Rule
        fields = [
            "name",
            "kind",
            "metric",
            "params",
            "device_type",
            "district",
            "severity",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        params = data.get("params")
        if self.errors or not isinstance(params, dict):
            if not self.errors:
                self.add_error("params", _("The parameters are a JSON object."))
            return data
        try:
            alarm_services.rule_validate(
                name=data.get("name", ""),
                kind=data.get("kind", ""),
                metric=data.get("metric", ""),
                params=params,
                severity=data.get("severity", ""),
            )
        except ApplicationError as exc:
            field = (exc.field or "").split(".")[0]
            self.add_error(field if field in self.fields else None, exc.message)
        return data


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = RuleForm
    list_display = ("name", "kind", "metric", "device_type", "district", "severity", "is_active")
    list_filter = ("kind", "severity", "is_active", "device_type")
    search_fields = ("name", "metric")
    list_select_related = ("device_type", "district")


@admin.register(Alarm)
class AlarmAdmin(ReadOnlyAdmin):
    """Alarms of the official's district; they are acknowledged and cleared on their page."""

    list_display = ("raised_at", "rule", "device", "status", "page")
    list_filter = ("status", "rule__severity", "rule")
    search_fields = ("device__id", "rule__name")
    list_select_related = ("rule", "device")
    date_hierarchy = "raised_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Alarm]:
        return restrict(super().get_queryset(request), request.user, district="device__district")

    @admin.display(description=_("page"))
    def page(self, alarm: Alarm) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("telemetry:alarm", args=[alarm.pk]), _("open")
        )
