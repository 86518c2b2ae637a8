"""Chart data for the telemetry pages: a device's metrics by the hour, an alarm's evidence.

Each chart is a plain dict the template writes as JSON beside its canvas (``charts.js``
draws it) and summarises in words, so the page says the same without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from gorod.telemetry import alarms as alarm_services
from gorod.telemetry import queries
from gorod.telemetry.metrics import METRICS
from gorod.telemetry.models import Alarm


def _label(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def chart(
    *, key: str, title: str, unit: str, kind: str, times: list[dt.datetime], values: list[float]
) -> dict[str, Any]:
    """One chart's data and its summary in words."""
    chart_id = f"chart-{key}"
    summary = ""
    if values:
        low, high = min(values), max(values)
        summary = _(
            "%(count)s points from %(start)s to %(end)s; lowest %(low)s, highest %(high)s, "
            "latest %(latest)s."
        ) % {
            "count": len(values),
            "start": _label(times[0]),
            "end": _label(times[-1]),
            "low": alarm_services.number(low),
            "high": alarm_services.number(high),
            "latest": alarm_services.number(values[-1]),
        }
    return {
        "id": chart_id,
        "data_id": f"{chart_id}-data",
        "title": title,
        "unit": unit,
        "label": f"{title}, {unit}" if unit else title,
        "kind": kind,
        "labels": [_label(t) for t in times],
        "values": values,
        "summary": summary,
        "rows": [(_label(t), alarm_services.number(v)) for t, v in zip(times, values, strict=True)],
    }


def metric_title(metric: str) -> tuple[str, str, str]:
    """A metric's chart title, unit and chart kind: consumption per hour for meters."""
    known = METRICS.get(metric)
    if known is None:
        return metric, "", "line"
    if known.kind == "cumulative":
        return _("%(metric)s: consumption per hour") % {"metric": metric}, known.unit, "bar"
    if known.kind == "flag":
        return _("%(metric)s: raised in the hour") % {"metric": metric}, "", "bar"
    return _("%(metric)s: hourly mean") % {"metric": metric}, known.unit, "line"


def _hourly(metric: str, rows: pa.Table) -> tuple[list[dt.datetime], list[float]]:
    """Consumption for a meter, the highest value for a flag, the mean for a gauge."""
    known = METRICS.get(metric)
    kind = known.kind if known is not None else "gauge"
    column = {"cumulative": "consumed", "flag": "max"}.get(kind, "avg")
    pairs = [
        (moment, float(value))
        for moment, value in zip(
            rows.column("bucket").to_pylist(), rows.column(column).to_pylist(), strict=True
        )
        if value is not None
    ]
    return [t for t, _v in pairs], [v for _t, v in pairs]


def device_charts(
    *, device_id: str, metrics: list[str], end: dt.datetime, days: int
) -> list[dict[str, Any]]:
    """A chart per metric over the last ``days``, by the hour (the query layer's buckets):
    consumption for a meter, the mean of a gauge, whether a flag was raised."""
    start = end - dt.timedelta(days=days)
    charts = []
    for metric in metrics:
        title, unit, kind = metric_title(metric)
        rows = queries.history(
            device_id=device_id, metric=metric, start=start, end=end, bucket="hour"
        )
        times, values = _hourly(metric, rows)
        charts.append(
            chart(
                key=metric.replace("_", "-"),
                title=title,
                unit=unit,
                kind=kind,
                times=times,
                values=values,
            )
        )
    return charts


def evidence_chart(alarm: Alarm) -> dict[str, Any]:
    """The readings an alarm was raised on."""
    evidence = alarm.evidence or {}
    stamps = [parse_datetime(s) for s in evidence.get("ts", []) if isinstance(s, str)]
    values = [float(v) for v in evidence.get("values", []) if isinstance(v, int | float)]
    pairs = [(t, v) for t, v in zip(stamps, values, strict=False) if t is not None]
    unit = METRICS[alarm.rule.metric].unit if alarm.rule.metric in METRICS else ""
    return chart(
        key=f"alarm-{alarm.pk}",
        title=_("%(metric)s at the time of the alarm") % {"metric": alarm.rule.metric or "—"},
        unit=unit,
        kind="line",
        times=[t for t, _v in pairs],
        values=[v for _t, v in pairs],
    )


def evidence_facts(alarm: Alarm) -> list[tuple[str, str]]:
    """The figures a rule compared, besides the readings, as (label, value) in words."""
    labels = {
        "limit": _("Limit"),
        "clear_value": _("Clears past"),
        "per_hour": _("Change per hour"),
        "held_s": _("Held, hours"),
        "duration_s": _("Needed, hours"),
        "silent_s": _("Silent, hours"),
        "after_s": _("Allowed silence, hours"),
        "last_ts": _("Last reading"),
        "flag": _("Flag value"),
    }
    facts = []
    for key, label in labels.items():
        value = (alarm.evidence or {}).get(key)
        if value is None:
            continue
        if key.endswith("_s"):
            shown = alarm_services.number(round(float(value) / 3600, 2))
        elif key == "last_ts":
            moment = parse_datetime(str(value))
            shown = _label(moment) if moment else str(value)
        else:
            shown = alarm_services.number(value)
        facts.append((str(label), shown))
    return facts


def reason(alarm: Alarm) -> str:
    return alarm_services.reason_text(alarm.reason, alarm.evidence or {})
