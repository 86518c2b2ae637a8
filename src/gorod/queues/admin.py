"""Back office: services, counters and shifts to set up; tickets to look at. Every list is
restricted to the official's office (or district, or the city) like the selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from gorod.people.admin import ReadOnlyAdmin
from gorod.people.scope import restrict
from gorod.queues.models import Counter, QueueService, Shift, Ticket, TicketEvent

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    EventsInline = admin.TabularInline[TicketEvent, Ticket]
else:
    ModelAdmin = admin.ModelAdmin
    EventsInline = admin.TabularInline


@admin.register(QueueService)
class QueueServiceAdmin(ModelAdmin):
    list_display = ("letter", "name", "office", "institution_kind", "average_minutes", "is_active")
    list_filter = ("institution_kind", "is_active")
    search_fields = ("name",)
    raw_id_fields = ("office", "booking_service")

    def get_queryset(self, request: HttpRequest) -> QuerySet[QueueService]:
        own = restrict(super().get_queryset(request), request.user, institution="office")
        kind_wide = super().get_queryset(request).filter(office__isnull=True)
        return (own | kind_wide).distinct()


@admin.register(Counter)
class CounterAdmin(ModelAdmin):
    list_display = ("office", "number", "is_active")
    filter_horizontal = ("services",)
    raw_id_fields = ("office",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Counter]:
        return restrict(super().get_queryset(request), request.user, institution="office")


@admin.register(Shift)
class ShiftAdmin(ModelAdmin):
    list_display = ("counter", "clerk", "start", "end")
    raw_id_fields = ("counter", "clerk")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shift]:
        return restrict(
            super().get_queryset(request).select_related("counter__office"),
            request.user,
            institution="counter__office",
        )


class TicketEventInline(EventsInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ("action", "at", "seconds", "counter", "clerk", "service")

    def has_add_permission(self, request: HttpRequest, obj: Ticket | None = None) -> bool:
        return False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = ("code", "office", "day", "service", "kind", "status", "counter", "issued_at")
    list_filter = ("status", "kind", "day")
    inlines = (TicketEventInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return restrict(
            Ticket.objects.select_related("office", "service", "counter"),
            request.user,
            institution="office",
        )
