"""Back office: an office's resources and calendars, its slots and bookings to look at.

Officials see their own institution's rows (``people.scope.restrict``); bookings change
only through the services (the citizen's pages, the counter), never here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from gorod.people.admin import ModelAdmin, ReadOnlyAdmin
from gorod.people.scope import restrict
from gorod.scheduling.models import (
    Booking,
    Break,
    CalendarException,
    Resource,
    Service,
    Slot,
    WorkingHours,
)

if TYPE_CHECKING:
    HoursInlineBase = admin.TabularInline[WorkingHours, Resource]
    BreakInlineBase = admin.TabularInline[Break, Resource]
else:
    HoursInlineBase = BreakInlineBase = admin.TabularInline


class WorkingHoursInline(HoursInlineBase):
    model = WorkingHours
    extra = 0


class BreakInline(BreakInlineBase):
    model = Break
    extra = 0


@admin.register(Service)
class ServiceAdmin(ModelAdmin):
    list_display = ("name", "code", "duration_minutes", "institution_kind", "institution")
    list_filter = ("institution_kind", "is_active")
    search_fields = ("name", "code")


@admin.register(Resource)
class ResourceAdmin(ModelAdmin):
    list_display = ("name", "kind", "institution", "slot_minutes", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "institution__name")
    raw_id_fields = ("institution",)
    filter_horizontal = ("services",)
    inlines = (WorkingHoursInline, BreakInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Resource]:
        return restrict(super().get_queryset(request), request.user, institution="institution")


@admin.register(CalendarException)
class CalendarExceptionAdmin(ModelAdmin):
    list_display = ("date", "kind", "hours_shorter", "resource", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
    raw_id_fields = ("resource",)


@admin.register(Slot)
class SlotAdmin(ReadOnlyAdmin):
    list_display = ("start", "end", "resource", "service", "status")
    list_filter = ("status",)
    date_hierarchy = "start"
    list_select_related = ("resource", "service")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Slot]:
        qs = super().get_queryset(request)
        return restrict(qs, request.user, institution="resource__institution")


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    list_display = ("code", "status", "service", "slot", "citizen", "created_at")
    list_filter = ("status",)
    search_fields = ("code",)
    list_select_related = ("service", "slot", "slot__resource", "citizen")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Booking]:
        qs = super().get_queryset(request)
        return restrict(qs, request.user, institution="slot__resource__institution")
