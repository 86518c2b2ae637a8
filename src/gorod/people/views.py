"""People pages: sign-in, sign-up, sign-out, the profile, address, children, officials.

Thin: a form checks the fields, a service does the work, and a refusal from the service
goes back to the form next to the field it names.
"""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from gorod.errors import ApplicationError
from gorod.people import selectors, services
from gorod.people.forms import (
    AddressForm,
    AddressSearchForm,
    ChildForm,
    OfficialForm,
    ProfileForm,
    SignInForm,
    SignUpForm,
)
from gorod.people.models import Citizen, User
from gorod.people.scope import is_city_admin, official_for

BACKEND = "gorod.people.backends.EmailOrPhoneBackend"


class SignInView(LoginView):
    form_class = SignInForm
    template_name = "people/sign_in.html"
    redirect_authenticated_user = True


class SignOutView(LogoutView):
    """POST only, so a link or an image cannot sign anyone out."""


def _user(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _citizen(request: HttpRequest) -> Citizen:
    citizen = selectors.citizen_for_user(request.user)
    if citizen is None:
        raise PermissionDenied(_("This page is for residents: your account has no profile."))
    return citizen


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            citizen = services.citizen_register(
                email=data["email"],
                phone=data["phone"],
                password=data["password1"],
                last_name=data["last_name"],
                first_name=data["first_name"],
                patronymic=data["patronymic"],
                birth_date=data["birth_date"],
                snils=data["snils"],
                oms_policy=data["oms_policy"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            login(request, cast(User, citizen.user), backend=BACKEND)
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "people/sign_up.html", {"form": form})


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    citizen = selectors.citizen_for_user(request.user)
    context = {
        "citizen": citizen,
        "official": official_for(request.user),
        "children": selectors.children_for(citizen) if citizen else [],
    }
    return render(request, "people/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    citizen = _citizen(request)
    initial = {name: getattr(citizen, name) for name in ProfileForm.base_fields}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.citizen_update_profile(citizen=citizen, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your profile is saved."))
            return redirect("people:profile")
    return render(request, "people/profile_edit.html", {"form": form, "citizen": citizen})


@login_required
@require_http_methods(["GET", "POST"])
def address(request: HttpRequest) -> HttpResponse:
    """Find the building by its address, then give the apartment number."""
    citizen = _citizen(request)
    search = AddressSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    buildings = selectors.buildings_matching(query) if query else None
    form = AddressForm(request.POST or None, buildings=buildings)
    if request.method == "POST" and form.is_valid():
        building, number = form.cleaned_data["building"], form.cleaned_data["number"]
        apartment = selectors.apartment_in(building, number)
        if apartment is None:
            form.add_error("number", _("This building has no apartment with that number."))
        else:
            services.citizen_set_address(citizen=citizen, apartment=apartment)
            messages.success(request, _("Your address is saved."))
            return redirect("people:profile")
    context = {"citizen": citizen, "search": search, "form": form, "buildings": buildings}
    return render(request, "people/address.html", context)


@login_required
def children(request: HttpRequest) -> HttpResponse:
    citizen = _citizen(request)
    context = {"citizen": citizen, "children": selectors.children_for(citizen)}
    return render(request, "people/children.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def child_add(request: HttpRequest) -> HttpResponse:
    citizen = _citizen(request)
    form = ChildForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.child_add(guardian=citizen, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request, _("%(name)s is added to your children.") % {"name": child.full_name}
            )
            return redirect("people:children")
    return render(request, "people/child_add.html", {"form": form})


@login_required
def officials(request: HttpRequest) -> HttpResponse:
    """The officials an official may see: their institution's, district's or the city's."""
    user = _user(request)
    if official_for(user) is None and not user.is_superuser:
        raise PermissionDenied(_("This page is for the city's officials."))
    context = {
        "officials": selectors.officials_visible_to(user),
        "may_create": is_city_admin(user),
    }
    return render(request, "people/officials.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def official_create(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not is_city_admin(user):
        raise PermissionDenied(_("Only a city administrator can create officials."))
    form = OfficialForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            official = services.official_create(created_by=user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request, _("The official %(name)s is created.") % {"name": official.user}
            )
            return redirect("people:officials")
    return render(request, "people/official_create.html", {"form": form})
