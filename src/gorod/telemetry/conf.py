"""Telemetry settings: each read from ``settings.GOROD_TELEMETRY_<NAME>`` or the environment."""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _setting(name: str, default: str) -> str:
    value = getattr(settings, f"GOROD_TELEMETRY_{name}", None)
    if value is None:
        value = os.environ.get(f"GOROD_TELEMETRY_{name}", default)
    return str(value)


def table_uri() -> str:
    """Where the telemetry table lives: a path (relative to the project) or an object-store URL."""
    value = _setting("TABLE", str(Path(settings.VAR_DIR) / "telemetry"))
    if "://" in value:
        return value
    path = Path(value)
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    return str(path)


def storage_options() -> dict[str, str]:
    """delta-rs ``storage_options`` for an object-store table, from
    ``GOROD_TELEMETRY_STORAGE_OPTIONS`` (a JSON object of strings, such as
    ``{"AWS_ENDPOINT_URL": "https://s3.example", "AWS_REGION": "ru-central1"}``). Empty by
    default: delta-rs then reads the standard ``AWS_*`` environment variables itself."""
    value = getattr(settings, "GOROD_TELEMETRY_STORAGE_OPTIONS", None)
    if value is None:
        value = os.environ.get("GOROD_TELEMETRY_STORAGE_OPTIONS", "")
    if isinstance(value, str):
        if not value.strip():
            return {}
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ImproperlyConfigured(_STORAGE_OPTIONS_SHAPE + f" ({exc})") from exc
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ImproperlyConfigured(_STORAGE_OPTIONS_SHAPE)
    return dict(value)


_STORAGE_OPTIONS_SHAPE = (
    "GOROD_TELEMETRY_STORAGE_OPTIONS: a JSON object whose keys and values are strings, "
    'such as {"AWS_ENDPOINT_URL": "https://s3.example", "AWS_ALLOW_HTTP": "false"}'
)


def raw_days() -> int:
    """How many days raw readings are kept; hourly and daily roll-ups are kept for good."""
    return int(_setting("RAW_DAYS", "90"))


def max_future_seconds() -> int:
    """A reading may be stamped at most this far ahead of the server's clock."""
    return int(_setting("MAX_FUTURE_SECONDS", "600"))


def max_message_bytes() -> int:
    """The largest MQTT message accepted; bigger ones are dead letters (``oversize``)."""
    return int(_setting("MAX_MESSAGE_BYTES", str(1024 * 1024)))


def max_bulk_bytes() -> int:
    """The largest HTTP bulk body accepted."""
    return int(_setting("MAX_BULK_BYTES", str(256 * 1024 * 1024)))


def registry_ttl_seconds() -> float:
    """How long a process trusts its cached copy of the device registry."""
    return float(_setting("REGISTRY_TTL", "10"))


def ingest_user() -> str:
    """The broker account the ingest workers subscribe with."""
    return _setting("INGEST_USER", "gorod-ingest")


def ingest_password() -> str:
    """Its password ('' when unset: the HTTP broker authenticator then refuses it)."""
    return _setting("INGEST_PASSWORD", "")


def time_zone() -> str:
    """Where calendar buckets (hour, day, month) start: the city's zone."""
    return _setting("TIME_ZONE", str(settings.TIME_ZONE))


def late_days() -> int:
    """Roll-ups of the latest days are recomputed on each run, for readings that come late."""
    return int(_setting("LATE_DAYS", "2"))
