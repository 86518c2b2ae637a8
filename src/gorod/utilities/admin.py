"""Back office: tariffs set by city administrators; meters, readings, bills and alerts to
look at, each restricted to the official's district (alerts are decided on their page,
through the service, so every decision is logged)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from gorod.people.admin import ReadOnlyAdmin
from gorod.people.scope import restrict
from gorod.utilities.models import Alert, Bill, Meter, Reading, Tariff

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin


class DistrictAdmin(ReadOnlyAdmin):
    """Read-only rows of the official's district, reached by ``district_path``."""

    district_path = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return restrict(super().get_queryset(request), request.user, district=self.district_path)


@admin.register(Meter)
class MeterAdmin(DistrictAdmin):
    district_path = "apartment__building__district"
    list_display = ("serial", "resource", "apartment", "is_smart", "is_active", "verified_until")
    list_filter = ("resource", "is_smart", "is_active")
    search_fields = ("serial", "device__pk")
    list_select_related = ("apartment__building",)


@admin.register(Reading)
class ReadingAdmin(DistrictAdmin):
    district_path = "meter__apartment__building__district"
    list_display = ("meter", "period", "value", "consumption", "source", "status", "reason")
    list_filter = ("source", "status", "period")
    search_fields = ("meter__serial",)
    list_select_related = ("meter",)


@admin.register(Bill)
class BillAdmin(DistrictAdmin):
    district_path = "apartment__building__district"
    list_display = ("apartment", "period", "total", "issued_at")
    list_filter = ("period",)
    list_select_related = ("apartment__building",)


@admin.register(Alert)
class AlertAdmin(DistrictAdmin):
    district_path = "meter__apartment__building__district"
    list_display = ("day", "kind", "meter", "score", "status", "decided_at")
    list_filter = ("status", "kind")
    search_fields = ("meter__serial", "reason")
    list_select_related = ("meter",)


@admin.register(Tariff)
class TariffAdmin(ModelAdmin):
    list_display = ("resource", "price", "valid_from")
    list_filter = ("resource",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
