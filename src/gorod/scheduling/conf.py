"""Scheduling settings, each overridable as ``GOROD_SCHEDULING_<NAME>`` in the settings."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def _minutes(name: str, default: int) -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, f"GOROD_SCHEDULING_{name}", default)))


def hold_time() -> dt.timedelta:
    """How long a held slot waits for the citizen's confirmation."""
    return _minutes("HOLD_MINUTES", 10)


def noshow_grace() -> dt.timedelta:
    """How late after the start a booked visitor who has not checked in is a no-show."""
    return _minutes("NOSHOW_GRACE_MINUTES", 15)


def reminder_lead() -> dt.timedelta:
    """How long before the visit the reminder goes out."""
    return _minutes("REMINDER_LEAD_MINUTES", 24 * 60)


def active_per_service() -> int:
    """How many active bookings a citizen may hold for one service."""
    return int(getattr(settings, "GOROD_SCHEDULING_ACTIVE_PER_SERVICE", 2))
