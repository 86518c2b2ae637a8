"""An office with two services (A, B) and two counters: 1 serves both, 2 serves only A."""

from __future__ import annotations

import pytest

from tests.queues.factories import Hall, hall_create, holidays_clear


@pytest.fixture
def hall(db: None) -> Hall:
    return hall_create()


@pytest.fixture
def any_day(db: None) -> None:
    """Tests that run at the real time of day: no public holiday gets in their way."""
    holidays_clear()
