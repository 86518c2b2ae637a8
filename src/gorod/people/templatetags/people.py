"""Template filters for people pages: a SNILS as people write it, a lock-out in minutes."""

from __future__ import annotations

import datetime as dt

from django import template

from gorod.people.snils import format_snils

register = template.Library()


@register.filter(name="snils")
def snils_filter(value: str) -> str:
    """'11223344595' -> '112-233-445 95'."""
    return format_snils(value) if value else ""


@register.filter
def minutes(value: dt.timedelta | None) -> int:
    """A cool-off period in whole minutes, rounded up."""
    if value is None:
        return 0
    return -(-int(value.total_seconds()) // 60)
