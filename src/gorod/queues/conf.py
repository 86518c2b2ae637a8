"""The queue's settings, each with a default (``GOROD_QUEUES_*`` in the project settings)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gorod.queues.estimators import QL

# Who is served first within the head start (a visitor says so at the kiosk; the clerk
# checks the document at the counter).
DEFAULT_PRIORITY_CATEGORIES: dict[str, str | Promise] = {
    "disabled": _("people with disabilities and their companions"),
    "pregnant": _("pregnant women"),
    "veteran": _("veterans"),
    "infant": _("parents with a child under one"),
    "elderly": _("people aged 80 and over"),
}


def priority_categories() -> dict[str, str | Promise]:
    found: dict[str, str | Promise] = getattr(
        settings, "GOROD_QUEUES_PRIORITY_CATEGORIES", DEFAULT_PRIORITY_CATEGORIES
    )
    return found


def priority_head_start() -> dt.timedelta:
    """How far a priority category moves a visitor's turn forward (bounded overtaking)."""
    return dt.timedelta(minutes=getattr(settings, "GOROD_QUEUES_PRIORITY_HEAD_START_MINUTES", 30))


def history_days() -> int:
    """How many days back the queue learns from (``GOROD_QUEUES_HISTORY_DAYS``, 28: four
    weeks, each weekday four times): service times, priority arrivals, the counters usually
    open, the arrivals forecast. Older tickets are not read."""
    found: int = getattr(settings, "GOROD_QUEUES_HISTORY_DAYS", 28)
    return found


def estimator() -> str:
    """``ql`` or ``les``: the estimator the ticket page shows. QL by default: on the demo's
    simulated days (``gorod queues simulate``, docs/queues.md) it erred well under half as
    much as LES, which erred less than the naive mean wait of the day only a little."""
    found: str = getattr(settings, "GOROD_QUEUES_ESTIMATOR", QL)
    return found


def target_minutes() -> int:
    """The staffing target: visitors called within this many minutes..."""
    found: int = getattr(settings, "GOROD_QUEUES_TARGET_MINUTES", 15)
    return found


def target_share() -> float:
    """...this share of them."""
    found: float = getattr(settings, "GOROD_QUEUES_TARGET_SHARE", 0.8)
    return found
