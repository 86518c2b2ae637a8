"""Every telemetry test gets its own empty telemetry table and a fresh registry cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from gorod.telemetry.ingest import registry


@pytest.fixture(autouse=True)
def telemetry_table(tmp_path: Path) -> Iterator[str]:
    uri = str(tmp_path / "telemetry")
    with override_settings(GOROD_TELEMETRY_TABLE=uri):
        registry.clear()
        yield uri
    registry.clear()
