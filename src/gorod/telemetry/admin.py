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
