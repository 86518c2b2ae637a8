"""Forms of the people pages: each field checked by the same rules the services apply.

A form shows every mistake at once, field by field; the service then checks again as a
whole (uniqueness, the transaction) and its error lands on the field it names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from gorod.errors import ApplicationError
from gorod.people import validators as check
from gorod.people.models import Guardianship, Official
from gorod.people.services import official_scope_check
from gorod.places.models import Building, District, Institution

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    OfficialModelForm = forms.ModelForm[Official]
else:
    OfficialModelForm = forms.ModelForm

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _checked(rule: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a rule from ``validators``; its refusal becomes the field's error."""
    try:
        return rule(*args, **kwargs)
    except ApplicationError as exc:
        raise forms.ValidationError(exc.message) from exc


class ServiceErrorsMixin:
    """Put a service's refusal next to the field it names, or above the form."""

    def add_service_error(self, exc: ApplicationError) -> None:
        form: forms.BaseForm = self  # type: ignore[assignment]
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)


class SignInForm(AuthenticationForm):
    """The field is called ``username`` so the lock-out counts failures per identifier."""

    username = forms.CharField(
        label=_("E-mail or phone"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _(
            "The e-mail, phone or password is wrong. After 5 wrong attempts sign-in is "
            "locked for a while."
        ),
        "inactive": _("This account is switched off."),
    }


class NameFieldsMixin(forms.Form):
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        widget=forms.TextInput({"autocomplete": "family-name"}),
    )
    first_name = forms.CharField(
        label=_("First name"),
        max_length=100,
        widget=forms.TextInput({"autocomplete": "given-name"}),
    )
    patronymic = forms.CharField(
        label=_("Patronymic"),
        max_length=100,
        required=False,
        help_text=_("If you have one."),
        widget=forms.TextInput({"autocomplete": "additional-name"}),
    )

    def clean_last_name(self) -> str:
        return str(_checked(check.clean_name, self.cleaned_data["last_name"], field="last_name"))

    def clean_first_name(self) -> str:
        return str(_checked(check.clean_name, self.cleaned_data["first_name"], field="first_name"))

    def clean_patronymic(self) -> str:
        value = self.cleaned_data["patronymic"]
        return str(_checked(check.clean_name, value, field="patronymic", required=False))


def oms_policy_field(help_text: StrOrPromise) -> forms.CharField:
    return forms.CharField(
        label=_("OMS policy number"),
        max_length=20,
        required=False,
        help_text=help_text,
        widget=forms.TextInput({"inputmode": "numeric", "autocomplete": "off"}),
    )


def email_field(label: StrOrPromise) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=254,
        required=False,
        widget=forms.EmailInput({"autocomplete": "email"}),
    )


def phone_field(label: StrOrPromise, help_text: StrOrPromise = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=32,
        required=False,
        help_text=help_text,
        widget=forms.TextInput({"type": "tel", "autocomplete": "tel"}),
    )


class OmsPolicyFieldMixin(forms.Form):
    def clean_oms_policy(self) -> str:
        return str(_checked(check.clean_oms_policy, self.cleaned_data["oms_policy"]))


class SnilsFieldMixin(forms.Form):
    snils = forms.CharField(
        label=_("SNILS"),
        max_length=20,
        help_text=_("11 digits, for example 112-233-445 95."),
        widget=forms.TextInput({"inputmode": "numeric", "autocomplete": "off"}),
    )

    def clean_snils(self) -> str:
        return str(_checked(check.clean_snils, self.cleaned_data["snils"]))


class SignUpForm(ServiceErrorsMixin, OmsPolicyFieldMixin, SnilsFieldMixin, NameFieldsMixin):
    birth_date = forms.DateField(
        label=_("Date of birth"), widget=DATE_INPUT, help_text=_("You need to be 14 or older.")
    )
    oms_policy = oms_policy_field(_("16 digits; you can add it later."))
    email = email_field(_("E-mail"))
    phone = phone_field(
        _("Mobile phone"), _("An e-mail address, a phone number or both: you sign in with either.")
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        help_text=_("At least 8 characters, not only digits, not a common word."),
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("The password again"),
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )

    def clean_birth_date(self) -> Any:
        value = self.cleaned_data["birth_date"]
        return _checked(check.clean_birth_date, value, min_age=check.ACCOUNT_MIN_AGE)

    def clean_email(self) -> str:
        return str(_checked(check.clean_email, self.cleaned_data["email"], required=False))

    def clean_phone(self) -> str:
        return str(_checked(check.clean_phone, self.cleaned_data["phone"], required=False))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "email" in data and "phone" in data and not data["email"] and not data["phone"]:
            self.add_error("email", _("Give an e-mail address or a phone number."))
        if data.get("password1") and data.get("password2") != data["password1"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class ProfileForm(ServiceErrorsMixin, OmsPolicyFieldMixin, NameFieldsMixin):
    oms_policy = oms_policy_field(_("16 digits."))
    contact_email = email_field(_("Contact e-mail"))
    contact_phone = phone_field(_("Contact phone"))
    notify_by_email = forms.BooleanField(label=_("Notify me by e-mail"), required=False)
    notify_by_sms = forms.BooleanField(label=_("Notify me by SMS"), required=False)

    def clean_contact_email(self) -> str:
        value = self.cleaned_data["contact_email"]
        return str(_checked(check.clean_email, value, field="contact_email", required=False))

    def clean_contact_phone(self) -> str:
        value = self.cleaned_data["contact_phone"]
        return str(_checked(check.clean_phone, value, field="contact_phone", required=False))


class AddressSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Street and house"),
        max_length=200,
        help_text=_("For example: Тверская 7."),
        widget=forms.TextInput({"type": "search", "autocomplete": "street-address"}),
    )


class AddressForm(ServiceErrorsMixin, forms.Form):
    building = forms.ModelChoiceField(
        label=_("Building"), queryset=Building.objects.all(), widget=forms.RadioSelect
    )
    number = forms.CharField(label=_("Apartment number"), max_length=16)

    def __init__(self, *args: Any, buildings: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if buildings is not None:
            cast("forms.ModelChoiceField[Any]", self.fields["building"]).queryset = buildings


class ChildForm(ServiceErrorsMixin, SnilsFieldMixin, NameFieldsMixin):
    birth_date = forms.DateField(label=_("Date of birth"), widget=DATE_INPUT)
    kind = forms.ChoiceField(
        label=_("You are the child's"),
        choices=Guardianship.Kind.choices,
        initial=Guardianship.Kind.PARENT,
        widget=forms.RadioSelect,
    )

    def clean_birth_date(self) -> Any:
        value = self.cleaned_data["birth_date"]
        return _checked(check.clean_birth_date, value, max_age=check.ADULT_AGE)


class OfficialScopeForm(ServiceErrorsMixin, OfficialModelForm):
    """An official's role and scope, checked against each other."""

    class Meta:
        model = Official
        fields = ["role", "institution", "district", "position"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].help_text = _(
            "Registry clerk, doctor and school administrator work in one institution; "
            "utility operator and analyst in one district; auditor and city administrator "
            "across the city."
        )
        institutions = Institution.objects.select_related("district").order_by("name")
        cast("forms.ModelChoiceField[Any]", self.fields["institution"]).queryset = institutions
        cast(
            "forms.ModelChoiceField[Any]", self.fields["district"]
        ).queryset = District.objects.all()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "role" in data:
            try:
                official_scope_check(data["role"], data.get("institution"), data.get("district"))
            except ApplicationError as exc:
                self.add_service_error(exc)
        return data


class OfficialForm(OfficialScopeForm):
    """A new official: their account, then the role with its scope."""

    email = forms.EmailField(label=_("E-mail"), max_length=254)
    display_name = forms.CharField(label=_("Name"), max_length=200)
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        help_text=_("Hand it over in person; the official changes it after signing in."),
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )

    class Meta(OfficialScopeForm.Meta):
        fields = ["email", "display_name", "password", *OfficialScopeForm.Meta.fields]
