"""Back office for places: each official sees only their institution, district, or the city."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gorod.places import hours
from gorod.places.models import Apartment, Building, District, Institution, Okrug
from gorod.places.selectors import places_for_user

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    ModelForm = forms.ModelForm[Institution]
else:
    ModelAdmin = admin.ModelAdmin
    ModelForm = forms.ModelForm

AREA_FIELDS = ("min_lon", "min_lat", "max_lon", "max_lat", "centroid_lon", "centroid_lat")
HOURS_PROBLEMS = {
    "not_object": _("Opening hours must be an object with a list of intervals per weekday."),
    "unknown_day": _("“%(day)s” is not a weekday: use mon, tue, wed, thu, fri, sat, sun."),
    "not_list": _("%(day)s: the opening hours must be a list of intervals."),
    "bad_span": _("%(day)s: each interval must be a pair [“HH:MM”, “HH:MM”]."),
    "bad_time": _("%(day)s: times must be written HH:MM, from 00:00 to 24:00."),
    "order": _("%(day)s: each interval must end after it starts and after the previous one."),
}


class ScopedAdmin(ModelAdmin):
    """Rows restricted to the official's scope; only the superuser deletes places."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return places_for_user(super().get_queryset(request), request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


@admin.register(Okrug)
class OkrugAdmin(ScopedAdmin):
    list_display = ("name", "abbrev", "okato")
    search_fields = ("name", "abbrev", "okato")
    exclude = ("boundary", *AREA_FIELDS)


@admin.register(District)
class DistrictAdmin(ScopedAdmin):
    list_display = ("name", "okrug", "kind", "okato", "oktmo")
    list_filter = (("okrug", admin.RelatedOnlyFieldListFilter), "kind")
    list_select_related = ("okrug",)
    search_fields = ("name", "okato", "oktmo")
    exclude = ("boundary", *AREA_FIELDS)


@admin.register(Building)
class BuildingAdmin(ScopedAdmin):
    list_display = ("address", "district", "year_built", "floors")
    list_filter = (("district__okrug", admin.RelatedOnlyFieldListFilter), "floors")
    list_select_related = ("district",)
    search_fields = ("address",)
    autocomplete_fields = ("district",)


@admin.register(Apartment)
class ApartmentAdmin(ScopedAdmin):
    list_display = ("__str__", "floor", "rooms", "area_m2")
    list_filter = ("rooms",)
    list_select_related = ("building",)
    search_fields = ("building__address", "number")
    autocomplete_fields = ("building",)


class InstitutionForm(ModelForm):
    class Meta:
        model = Institution
        fields = "__all__"

    def clean_opening_hours(self) -> Any:
        value = self.cleaned_data["opening_hours"]
        found = hours.problem(value)
        if found is not None:
            day, what = found
            raise ValidationError(HOURS_PROBLEMS[what], params={"day": day})
        return value


@admin.register(Institution)
class InstitutionAdmin(ScopedAdmin):
    form = InstitutionForm
    list_display = ("name", "kind", "district", "address", "is_active")
    list_filter = ("kind", "is_active", ("district__okrug", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("district",)
    search_fields = ("name", "short_name", "address")
    autocomplete_fields = ("district", "building")
