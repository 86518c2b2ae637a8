"""Who may see which rows: the one restriction every domain's selectors apply.

Like NetBox's ``restrict()``, a selector hands over its queryset and says how its model
reaches the three things access depends on, as lookup paths from the model:

- ``institution``: the ``places.Institution`` the object belongs to;
- ``district``: the ``places.District`` it lies in;
- ``citizen``: the ``people.Citizen`` it belongs to.

For example, an appointment would be restricted with
``restrict(qs, user, institution="clinic", citizen="patient")`` and a citizen with
``restrict(qs, user, citizen="pk")``. The rules, in order:

- nobody signed in (or an inactive account) sees nothing; a superuser sees everything;
- an official whose role works for the whole city (auditor, city administrator) sees
  everything;
- an official bound to an institution sees the objects of that institution;
- an official bound to a district sees the objects in that district, reached through the
  ``district`` path or through the institution's district;
- a citizen sees the objects that belong to them and to the children they are a guardian
  of. An official who is also a resident sees their own objects too.

A path left out grants nothing through it: a model without an ``institution`` path is
never visible to institution officials. The rules only narrow the queryset, so selectors
chain them with their own filters.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Model, Q, QuerySet

from gorod.people.models import Citizen, Official, Role, Scope, User

M = TypeVar("M", bound=Model)


def official_for(user: AbstractBaseUser | AnonymousUser) -> Official | None:
    """The official behind an account, or None for a citizen or an anonymous visitor."""
    if not isinstance(user, User) or not user.is_authenticated:
        return None
    try:
        return user.official
    except Official.DoesNotExist:
        return None


def is_city_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    """A city administrator (or a superuser): manages officials and sees the register."""
    if isinstance(user, User) and user.is_active and user.is_superuser:
        return True
    official = official_for(user)
    return official is not None and official.role == Role.CITY_ADMIN


def citizens_acted_for(user: User) -> QuerySet[Citizen]:
    """The citizen an account belongs to and the children that citizen is a guardian of."""
    return Citizen.objects.filter(Q(user=user) | Q(guardians__guardian__user=user))


def _district_of(institution: str) -> str:
    return "district" if institution == "pk" else f"{institution}__district"


def restrict(
    queryset: QuerySet[M],
    user: AbstractBaseUser | AnonymousUser,
    *,
    institution: str | None = None,
    district: str | None = None,
    citizen: str | None = None,
) -> QuerySet[M]:
    """``queryset`` narrowed to the rows ``user`` may see (see the module's rules)."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    allowed: list[Q] = []
    official = official_for(user)
    if official is not None:
        if official.scope == Scope.CITY:
            return queryset
        if official.scope == Scope.INSTITUTION and institution:
            allowed.append(Q(**{institution: official.institution_id}))
        if official.scope == Scope.DISTRICT:
            if district:
                allowed.append(Q(**{district: official.district_id}))
            if institution:
                allowed.append(Q(**{_district_of(institution): official.district_id}))
    if citizen:
        acted_for = citizens_acted_for(user).values("pk")
        allowed.append(Q(**{f"{citizen}__in": acted_for}))
    if not allowed:
        return queryset.none()
    condition = allowed[0]
    for more in allowed[1:]:
        condition |= more
    return queryset.filter(condition)
