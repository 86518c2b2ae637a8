"""Each test starts in the platform's default language: a page requested in English by the
test client leaves English active in the thread (LocaleMiddleware activates it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    yield
    translation.deactivate()
