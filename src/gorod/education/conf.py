"""Education settings: each read from ``settings.GOROD_EDUCATION_<NAME>`` with a default."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def offer_days() -> int:
    """How long a family has to accept or decline an offered place."""
    return int(getattr(settings, "GOROD_EDUCATION_OFFER_DAYS", 7))


def offer_lifetime() -> dt.timedelta:
    return dt.timedelta(days=offer_days())
