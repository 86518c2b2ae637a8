"""Readings and rules for the alarm tests: sent through the real ingest path into the table."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from gorod.telemetry.ingest import parse_device_message, store
from gorod.telemetry.models import Device, Rule

HOUR = dt.timedelta(hours=1)
# Half a day back, so readings "hours later" are still in the past for the ingest checks.
NOW = timezone.now().replace(minute=0, second=0, microsecond=0) - 12 * HOUR


def send(device: Device, metric: str, values: Sequence[float], *, end: dt.datetime = NOW) -> None:
    """Hourly readings of ``metric`` ending at ``end`` (the last value at ``end``)."""
    start = end - (len(values) - 1) * HOUR
    readings = [
        {"metric": metric, "ts": (start + i * HOUR).isoformat(), "value": value}
        for i, value in enumerate(values)
    ]
    batch = parse_device_message(device.pk, json.dumps({"readings": readings}).encode())
    assert batch.rejected == 0, batch.rejections
    store(batch, source="http", received_at=end)


def rule(kind: str, metric: str, params: dict[str, Any], **kwargs: Any) -> Rule:
    return Rule.objects.create(
        name=kwargs.pop("name", f"{kind} {metric}"),
        kind=kind,
        metric=metric,
        params=params,
        **kwargs,
    )


LEAK = {"op": "above", "value": 0, "duration_s": 24 * 3600}
