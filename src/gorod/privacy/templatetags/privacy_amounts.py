"""``{{ value|amount }}``: a budget amount (epsilon, delta) as people write it."""

from __future__ import annotations

from decimal import Decimal

from django import template

from gorod.privacy.models import amount_text

register = template.Library()


@register.filter
def amount(value: Decimal) -> str:
    return amount_text(value)
