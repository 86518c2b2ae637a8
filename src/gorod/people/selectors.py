"""Reads of people, each restricted to what the asking account may see (``scope.restrict``).

Personal data of citizens is visible to the citizen, their guardians, and the officials
whose role works for the whole city (auditor, city administrator). Officials bound to an
institution or a district see citizens only through their own domain's selectors (a
clinic's patients, a district's meter owners), never the register as a whole.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from gorod.people.models import ApiToken, Citizen, Guardianship, Official, User
from gorod.people.scope import restrict
from gorod.places.models import Apartment, Building

AnyUser = AbstractBaseUser | AnonymousUser


def citizen_for_user(user: AnyUser) -> Citizen | None:
    """The citizen behind an account, with the address, or None."""
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    return Citizen.objects.select_related("apartment__building__district").filter(user=user).first()


def children_for(citizen: Citizen) -> QuerySet[Citizen]:
    """The children a citizen is a guardian of, youngest last."""
    return (
        Citizen.objects.filter(guardians__guardian=citizen)
        .select_related("apartment__building")
        .order_by("birth_date", "first_name")
    )


def guardianships_of(child: Citizen) -> QuerySet[Guardianship]:
    return Guardianship.objects.filter(child=child).select_related("guardian").order_by("pk")


def citizens_visible_to(user: AnyUser) -> QuerySet[Citizen]:
    return restrict(Citizen.objects.all(), user, citizen="pk")


def guardianships_visible_to(user: AnyUser) -> QuerySet[Guardianship]:
    return restrict(Guardianship.objects.all(), user, citizen="child")


def citizen_get_for(user: AnyUser, citizen_id: int) -> Citizen:
    """One citizen, when ``user`` may see them; 404 otherwise, so ids reveal nothing."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in to see this."))
    citizen = (
        citizens_visible_to(user)
        .select_related("apartment__building__district")
        .filter(pk=citizen_id)
        .first()
    )
    if citizen is None:
        raise Http404(_("There is no such citizen, or it is not yours to see."))
    return citizen


def officials_visible_to(user: AnyUser) -> QuerySet[Official]:
    """Colleagues: an institution's staff, a district's, or the whole city's."""
    return (
        restrict(Official.objects.all(), user, institution="institution", district="district")
        .select_related("user", "institution", "district")
        .order_by("role", "user__display_name")
    )


def api_tokens_of(user: AnyUser) -> QuerySet[ApiToken]:
    """An account's own tokens, the active first; tokens are nobody else's business."""
    if not isinstance(user, User) or not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at"
    )


def buildings_matching(address: str, *, limit: int = 20) -> QuerySet[Building]:
    """At most ``limit`` buildings whose address contains every word typed.

    An unsliced queryset, so a form can validate the building chosen among them.
    """
    words = address.split()
    if not words:
        return Building.objects.none()
    condition = Q()
    for word in words[:6]:
        condition &= Q(address__icontains=word)
    first = Building.objects.filter(condition).order_by("address").values_list("pk", flat=True)
    return (
        Building.objects.filter(pk__in=list(first[:limit]))
        .select_related("district")
        .order_by("address")
    )


def apartment_in(building: Building, number: str) -> Apartment | None:
    return Apartment.objects.filter(building=building, number=number.strip()).first()
