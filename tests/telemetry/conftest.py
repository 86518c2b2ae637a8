"""Every telemetry test gets its own empty telemetry table and a fresh registry cache.

``s3_table`` puts the table in a new bucket of a real S3 server (moto's, over HTTP on a free
local port; ``tests/telemetry/s3.py``), configured as an operator would: an ``s3://`` URL
and ``GOROD_TELEMETRY_STORAGE_OPTIONS``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from gorod.telemetry.ingest import registry
from tests.telemetry.s3 import S3Server


@pytest.fixture(autouse=True)
def telemetry_table(tmp_path: Path) -> Iterator[str]:
    uri = str(tmp_path / "telemetry")
    with override_settings(GOROD_TELEMETRY_TABLE=uri):
        registry.clear()
        yield uri
    registry.clear()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def s3_table(s3_server: S3Server, telemetry_table: str) -> Iterator[str]:
    """The telemetry table at ``s3://<a new bucket>/telemetry``."""
    uri = f"s3://{s3_server.create_bucket()}/telemetry"
    with override_settings(
        GOROD_TELEMETRY_TABLE=uri, GOROD_TELEMETRY_STORAGE_OPTIONS=s3_server.options()
    ):
        yield uri
