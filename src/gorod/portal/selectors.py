"""Reads for the cabinet: the signed-in person's own record, their home and children."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from gorod.people.models import Citizen, Official


@dataclass(frozen=True)
class ChildAge:
    name: str
    age: int


def citizen_of(*, user: AbstractBaseUser | AnonymousUser) -> Citizen | None:
    """The citizen record of ``user`` with its address down to the okrug, if it has one."""
    if not user.is_authenticated:
        return None
    return (
        Citizen.objects.select_related("apartment__building__district__okrug")
        .filter(user_id=user.pk)
        .first()
    )


def official_of(*, user: AbstractBaseUser | AnonymousUser) -> Official | None:
    if not user.is_authenticated:
        return None
    return (
        Official.objects.select_related("institution", "district__okrug")
        .filter(user_id=user.pk)
        .first()
    )


def children_ages(*, citizen: Citizen, today: dt.date | None = None) -> list[ChildAge]:
    """The children ``citizen`` acts for, eldest first, with their age in full years."""
    day = today or timezone.localdate()
    children = Citizen.objects.filter(guardians__guardian=citizen).order_by("birth_date", "pk")
    return [ChildAge(name=child.first_name, age=child.age_on(day)) for child in children]
