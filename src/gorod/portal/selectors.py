"""Reads for the cabinet that people's selectors do not shape: children with their ages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from gorod.people.models import Citizen
from gorod.people.selectors import children_for


@dataclass(frozen=True)
class ChildAge:
    name: str
    age: int


def children_ages(*, citizen: Citizen, today: dt.date | None = None) -> list[ChildAge]:
    """The children ``citizen`` acts for, eldest first, with their age in full years."""
    day = today or timezone.localdate()
    return [
        ChildAge(name=child.first_name, age=child.age_on(day)) for child in children_for(citizen)
    ]
