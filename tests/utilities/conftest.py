"""The submission window set around today, so page and API tests run on any date."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gorod.people.models import Citizen
from tests.people.factories import CitizenFactory


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def last_month() -> dt.date:
    return (this_month() - dt.timedelta(days=1)).replace(day=1)


@pytest.fixture
def window_open(settings: Any) -> None:
    settings.GOROD_UTILITIES_WINDOW_DAYS = (1, 31)


@pytest.fixture
def window_closed(settings: Any) -> None:
    today = timezone.localdate().day
    settings.GOROD_UTILITIES_WINDOW_DAYS = (today + 1, 31) if today < 28 else (1, 1)


@pytest.fixture
def resident() -> Citizen:
    """A resident with an account, living with one more registered resident."""
    citizen = CitizenFactory.create()
    CitizenFactory.create(apartment=citizen.apartment, user=None)
    return citizen
