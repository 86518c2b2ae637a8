"""Back office: consents read-only for auditors and city administrators, budgets set by city
administrators and analysts (through ``budget_set``, so every change is logged), releases
and consent texts read-only once published."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gorod.errors import ApplicationError
from gorod.people.models import Role, User
from gorod.people.scope import official_for
from gorod.privacy.datasets import DATASETS
from gorod.privacy.models import Consent, ConsentText, PrivacyBudget, Release
from gorod.privacy.purposes import purpose_choices
from gorod.privacy.services import budget_set

CONSENT_READERS = {Role.AUDITOR, Role.CITY_ADMIN}
BUDGET_KEEPERS = {Role.CITY_ADMIN, Role.ANALYST}


def _has_role(request: HttpRequest, roles: set[Role]) -> bool:
    user = request.user
    if isinstance(user, User) and user.is_active and user.is_superuser:
        return True
    official = official_for(user)
    return official is not None and official.role in roles


class RoleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Access by official role: ``viewers`` may look, ``editors`` may also add and change."""

    viewers: set[Role] = set()
    editors: set[Role] = set()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _has_role(request, self.viewers | self.editors)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _has_role(request, self.viewers | self.editors)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _has_role(request, self.editors)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _has_role(request, self.editors)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ConsentText)
class ConsentTextAdmin(RoleAdmin):
    viewers = set(Role)
    editors = {Role.CITY_ADMIN}
    list_display = ("purpose", "version", "published_at")
    list_filter = ("purpose",)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if "purpose" in form.base_fields:
            form.base_fields["purpose"] = forms.ChoiceField(
                label=_("purpose"), choices=purpose_choices
            )
        return form

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A published text is never edited: publish a new version instead.
        return obj is None and super().has_change_permission(request, obj)


@admin.register(Consent)
class ConsentAdmin(RoleAdmin):
    viewers = CONSENT_READERS
    list_display = ("citizen", "purpose", "text", "given_at", "withdrawn_at")
    list_filter = ("purpose",)
    list_select_related = ("citizen", "text")
    readonly_fields = ("citizen", "purpose", "text", "given_by", "given_at", "withdrawn_at")


class BudgetForm(forms.ModelForm):  # type: ignore[type-arg]
    """Saves through ``budget_set`` while validating, so a refusal shows on the form."""

    actor: User | None = None
    dataset = forms.ChoiceField(
        label=_("dataset"), choices=[(name, d.title) for name, d in DATASETS.items()]
    )

    class Meta:
        model = PrivacyBudget
        fields = ("dataset", "total_epsilon", "total_delta")

    def _post_clean(self) -> None:
        # The limits are checked by budget_set under a row lock, not by model validation.
        if self.errors:
            return
        dataset = self.instance.dataset if self.instance.pk else self.cleaned_data["dataset"]
        try:
            self.instance = budget_set(
                dataset=dataset,
                total_epsilon=self.cleaned_data["total_epsilon"],
                total_delta=self.cleaned_data["total_delta"],
                actor=self.actor,
            )
        except ApplicationError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)


@admin.register(PrivacyBudget)
class PrivacyBudgetAdmin(RoleAdmin):
    viewers = BUDGET_KEEPERS
    editors = BUDGET_KEEPERS
    form = BudgetForm
    list_display = (
        "dataset",
        "total_epsilon",
        "spent_epsilon",
        "total_delta",
        "spent_delta",
        "updated_at",
    )
    readonly_fields = ("spent_epsilon", "spent_delta", "updated_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "dataset") if obj is not None else fields

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        user = request.user
        return type(
            form_class.__name__, (form_class,), {"actor": user if isinstance(user, User) else None}
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Nothing to do: the form saved the budget through ``budget_set``."""


@admin.register(Release)
class ReleaseAdmin(RoleAdmin):
    viewers = set(Role)
    list_display = ("id", "dataset", "epsilon", "delta", "mechanism", "created_at")
    list_select_related = ("budget",)
    readonly_fields = (
        "budget",
        "epsilon",
        "delta",
        "mechanism",
        "created_at",
        "created_by",
        "parameters",
        "table",
        "accuracy",
    )
