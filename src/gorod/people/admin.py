"""The back office for people: accounts, citizens, officials and API tokens.

Every list is restricted to the official's scope with the same rules as the selectors,
so the model permissions of a role say *what kind* of row it may open and the scope says
*which* rows. Citizens are read-only here: they change their data themselves, and
officials are created and changed through the services, which check role against scope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gorod.errors import ApplicationError
from gorod.people import selectors, services
from gorod.people import validators as check
from gorod.people.forms import OfficialScopeForm
from gorod.people.models import ApiToken, Citizen, Guardianship, Official, User
from gorod.people.scope import is_city_admin, restrict
from gorod.people.snils import format_snils

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Guardianship, Citizen]
    AccountForm = ModelForm[User]
    DjangoUserChangeForm = UserChangeForm[User]
    AccountAdmin = DjangoUserAdmin[Any]
else:
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline
    AccountForm = ModelForm
    DjangoUserChangeForm = UserChangeForm
    AccountAdmin = DjangoUserAdmin


class ReadOnlyAdmin(ModelAdmin):
    """Rows to look at: their changes go through the services, not the back office."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)  # the admin site lets in signed-in staff only


class ContactsFormMixin(AccountForm):
    """E-mail and phone in their stored form; an empty one is no value at all."""

    def clean_email(self) -> str | None:
        value = self.cleaned_data.get("email") or ""
        try:
            return check.clean_email(value, required=False) or None
        except ApplicationError as exc:
            raise ValidationError(exc.message) from exc

    def clean_phone(self) -> str | None:
        value = self.cleaned_data.get("phone") or ""
        try:
            return check.clean_phone(value, required=False) or None
        except ApplicationError as exc:
            raise ValidationError(exc.message) from exc


class AccountCreationForm(ContactsFormMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "phone", "display_name")


class AccountChangeForm(ContactsFormMixin, DjangoUserChangeForm):
    class Meta:
        model = User
        fields = (
            "email",
            "phone",
            "display_name",
            "password",
            "is_active",
            "is_staff",
            "is_superuser",
            "groups",
        )


@admin.register(User)
class UserAdmin(AccountAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    list_display = ("__str__", "email", "phone", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_active", "groups")
    search_fields = ("email", "phone", "display_name")
    ordering = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "phone", "display_name", "password")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "phone", "display_name", "password1", "password2"),
            },
        ),
    )
    filter_horizontal = ("groups",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return restrict(super().get_queryset(request), request.user, citizen="citizen")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Only a superuser hands out back-office rights; roles come with creating an official.
        if _user(request).is_superuser:
            return ("last_login", "date_joined")
        return ("is_staff", "is_superuser", "groups", "last_login", "date_joined")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _user(request).is_superuser


class GuardiansInline(TabularInline):
    model = Guardianship
    fk_name = "child"
    fields = ("guardian", "kind")
    verbose_name = _("guardian")
    verbose_name_plural = _("guardians")
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Guardianship]:
        return selectors.guardianships_visible_to(request.user).select_related("guardian")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WardsInline(GuardiansInline):
    fk_name = "guardian"
    fields = ("child", "kind")
    verbose_name = _("child")
    verbose_name_plural = _("children")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Guardianship]:
        return selectors.guardianships_visible_to(request.user).select_related("child")


@admin.register(Citizen)
class CitizenAdmin(ReadOnlyAdmin):
    list_display = ("full_name", "birth_date", "formatted_snils", "district")
    search_fields = ("last_name", "first_name", "patronymic", "snils")
    list_select_related = ("apartment__building__district",)
    fields = (
        ("last_name", "first_name", "patronymic"),
        ("birth_date", "snils", "oms_policy"),
        "apartment",
        ("contact_email", "contact_phone"),
        ("notify_by_email", "notify_by_sms"),
        "user",
    )
    inlines = (GuardiansInline, WardsInline)
    show_full_result_count = False

    @admin.display(description=_("SNILS"), ordering="snils")
    def formatted_snils(self, citizen: Citizen) -> str:
        return format_snils(citizen.snils)

    @admin.display(description=_("district"))
    def district(self, citizen: Citizen) -> str:
        return citizen.apartment.building.district.name if citizen.apartment else ""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Citizen], search_term: str
    ) -> tuple[QuerySet[Citizen], bool]:
        # A SNILS is searched as typed on the card, with its dashes and space.
        digits = "".join(ch for ch in search_term if ch.isdigit())
        if len(digits) == 11 and len(digits) >= len(search_term.replace(" ", "")) - 3:
            return queryset.filter(snils=digits), False
        return super().get_search_results(request, queryset, search_term)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Citizen]:
        return selectors.citizens_visible_to(request.user).select_related(
            "apartment__building__district", "user"
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        citizen = self.get_object(request, object_id)
        if request.method == "GET" and response.status_code == 200 and citizen is not None:
            services.citizen_record_read(
                actor=cast("User", request.user),
                citizen=citizen,
                purpose=gettext("Review of the resident's record in the back office"),
                channel="back office",
            )
        return response


@admin.register(Official)
class OfficialAdmin(ModelAdmin):
    list_display = ("user", "role", "institution", "district", "position")
    list_filter = ("role",)
    search_fields = ("user__email", "user__display_name", "position")
    list_select_related = ("user", "institution", "district")

    form = OfficialScopeForm
    fields = ("role", "institution", "district", "position")

    def add_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Officials are created on one page, in the back office and outside it alike."""
        return redirect("people:official-create")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Official]:
        return selectors.officials_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_city_admin(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_city_admin(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An official leaves by switching the account off, which keeps the audit trail whole.
        return False

    def save_model(self, request: HttpRequest, obj: Official, form: Any, change: bool) -> None:
        services.official_update(
            changed_by=_user(request),
            official=obj,
            role=form.cleaned_data["role"],
            institution=form.cleaned_data.get("institution"),
            district=form.cleaned_data.get("district"),
            position=form.cleaned_data.get("position", ""),
        )


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens show their name and prefix only; the key itself is never stored."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    fields = readonly_fields
    actions = ("revoke",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        tokens = super().get_queryset(request).select_related("user")
        return tokens if _user(request).is_superuser else tokens.filter(user=request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    @admin.action(description=_("Revoke the selected tokens"), permissions=["view"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            services.api_token_revoke(user=_user(request), token_id=token.pk)
        self.message_user(request, gettext("The tokens are revoked."), messages.SUCCESS)
