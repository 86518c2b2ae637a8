"""Back office: the catalogue (programmes, territories, rounds) and each round's runs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from gorod.education.models import (
    Application,
    Choice,
    Cutoff,
    PriorityClaim,
    Programme,
    Round,
    Run,
    Territory,
)
from gorod.people.scope import restrict


class ScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """An official sees the rows of their institution or district only."""

    institution_path = "institution"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return restrict(
            super().get_queryset(request), request.user, institution=self.institution_path
        )


@admin.register(Programme)
class ProgrammeAdmin(ScopedAdmin):
    list_display = ("name", "institution", "kind", "year", "capacity")
    list_filter = ("kind", "year")
    search_fields = ("name", "institution__name")
    raw_id_fields = ("institution",)


@admin.register(Territory)
class TerritoryAdmin(ScopedAdmin):
    list_display = ("institution", "building", "district")
    raw_id_fields = ("institution", "building", "district")


class RunInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Run
    extra = 0
    can_delete = False
    fields = ("kind", "created_at", "applicants", "assigned", "input_sha256", "log_index")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "kind", "year", "status", "opens_at", "closes_at")
    list_filter = ("kind", "status")
    readonly_fields = ("seed", "input_sha256", "result_sha256", "matched_at", "published_at")
    inlines = (RunInline,)


@admin.register(Cutoff)
class CutoffAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("round", "programme", "admitted", "group", "lottery")
    list_filter = ("round",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChoiceInline(ReadOnlyInline):
    model = Choice
    fields = ("rank", "programme", "group", "lottery", "active")
    readonly_fields = fields


class ClaimInline(ReadOnlyInline):
    model = PriorityClaim
    fields = ("category", "institution", "document", "document_status", "reviewed_at")
    readonly_fields = fields


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Applications as the family made them: read-only; documents are checked on the
    officials' page, so that each check is audited."""

    list_display = ("child", "round", "status", "lottery", "assigned", "submitted_at")
    list_filter = ("round", "status")
    search_fields = ("child__last_name", "child__snils")
    inlines = (ChoiceInline, ClaimInline)
    readonly_fields = ("round", "child", "guardian", "status", "lottery", "assigned")
    exclude = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return restrict(
            super().get_queryset(request).select_related("child", "round", "assigned"),
            request.user,
            district="child__apartment__building__district",
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
