"""The detectors of ``anomalies.py`` run over the water meters' data in the telemetry table.

For each active water meter the table's register values (m³) become hourly consumption in
litres on one hourly grid (the last value of each hour; the first difference, so a missing
hour is a gap, never invented flow). The detectors see only each meter's past; each run of
alerting hours becomes an ``Alert`` with its reason (the detector's name, shown in plain
words by ``reasons.alert_reason_text``), the detector's figures
and the hours around it as a series for the operator's chart. An alert is stored once per
meter, kind and day, so scanning the same days again adds nothing. The meters of an
apartment are scored in one chunk with their apartment known, so they vouch for each
other: a still meter whose apartment uses no water at all is an empty flat, not stuck.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db.models import QuerySet
from django.utils import timezone

from gorod.telemetry import conf as telemetry_conf
from gorod.telemetry import table
from gorod.utilities.anomalies import LABEL, AlertEvent, Grid, alert_events, detect
from gorod.utilities.models import RESOURCE_METRIC, Meter, Resource
from gorod.utilities.services import alert_raise

WATER = (Resource.WATER_COLD, Resource.WATER_HOT)
LITRES_PER_M3 = 1000.0
US_PER_HOUR = 3_600_000_000
SERIES_HOURS_BEFORE = 24


@dataclass
class ScanResult:
    meters: int = 0
    hours: int = 0
    events: int = 0
    created: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def water_meters(district_id: int | None = None) -> QuerySet[Meter]:
    meters = Meter.objects.filter(is_active=True, resource__in=WATER)
    if district_id is not None:
        meters = meters.filter(apartment__building__district_id=district_id)
    return meters.order_by("apartment_id", "pk")


def apartment_chunks(meters: Sequence[Meter], size: int) -> list[Sequence[Meter]]:
    """``meters`` (ordered by apartment) in chunks of about ``size``, never splitting an
    apartment's meters between two chunks."""
    chunks: list[Sequence[Meter]] = []
    low = 0
    while low < len(meters):
        high = min(low + size, len(meters))
        while high < len(meters) and meters[high].apartment_id == meters[high - 1].apartment_id:
            high += 1
        chunks.append(meters[low:high])
        low = high
    return chunks


def _hour_of(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // 3600


def hourly_totals(
    *, meters: Sequence[Meter], first_hour: int, hours: int, uri: str | None = None
) -> npt.NDArray[np.float64]:
    """The last register value (litres) of each meter in each hour: ``[meter, hour]``, NaN
    where the meter sent nothing."""
    totals = np.full((len(meters), hours), np.nan)
    if not meters:
        return totals
    row_of = {m.device_id: i for i, m in enumerate(meters)}
    metrics = sorted({RESOURCE_METRIC[Resource(m.resource)] for m in meters})
    start = dt.datetime.fromtimestamp(first_hour * 3600, tz=dt.UTC)
    end = start + dt.timedelta(hours=hours)
    with table.connect(
        uri or telemetry_conf.table_uri(), storage_options=telemetry_conf.storage_options()
    ) as con:
        rows = con.execute(
            "SELECT device_id, epoch_us(ts) // ? AS hour, arg_max(value, ts) AS total "
            "FROM readings WHERE metric IN (SELECT unnest(?)) AND ts >= ? AND ts < ? "
            "AND device_id IN (SELECT unnest(?)) GROUP BY 1, 2",
            [US_PER_HOUR, metrics, start, end, list(row_of)],
        ).fetchall()
    for device_id, hour, total in rows:
        totals[row_of[device_id], int(hour) - first_hour] = total * LITRES_PER_M3
    return totals


def consumption(totals: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Litres used in each hour: the rise of the register since the hour before."""
    litres = np.full(totals.shape, np.nan)
    litres[:, 1:] = np.diff(totals, axis=1)
    return litres


def _series(litres: npt.NDArray[np.float64], event: AlertEvent, first_hour: int) -> dict[str, Any]:
    start = max(event.first - SERIES_HOURS_BEFORE, 0)
    values = litres[event.meter, start : event.last + 1]
    local = timezone.get_current_timezone()
    labels = [
        dt.datetime.fromtimestamp((first_hour + start + i) * 3600, tz=local).strftime("%d.%m %H:00")
        for i in range(len(values))
    ]
    return {
        "labels": labels,
        "values": [None if np.isnan(v) else round(float(v), 1) for v in values],
        "unit": "l",
    }


def alerts_store(
    *,
    meters: Sequence[Meter],
    litres: npt.NDArray[np.float64],
    totals: npt.NDArray[np.float64],
    first_hour: int,
    result: ScanResult,
) -> None:
    """Run the detectors over the grid and store one alert per event (once)."""
    apartments = np.array([meter.apartment_id for meter in meters], dtype=np.int64)
    reasons = detect(litres, Grid(first_hour=first_hour), totals=totals, apartments=apartments)
    local = timezone.get_current_timezone()
    for event in alert_events(litres, reasons):
        result.events += 1
        started = dt.datetime.fromtimestamp((first_hour + event.first) * 3600, tz=local)
        _alert, created = alert_raise(
            meter=meters[event.meter],
            kind=event.kind,
            day=started.date(),
            reason=LABEL[event.reason],
            evidence={**event.evidence, "series": _series(litres, event, first_hour)},
            score=1.0,
        )
        result.created += created


def scan(
    *,
    days: int,
    now: dt.datetime | None = None,
    district_id: int | None = None,
    chunk: int = 2000,
    uri: str | None = None,
) -> ScanResult:
    """Scan the last ``days`` whole hours up to ``now`` for every active water meter."""
    now = now or timezone.now()
    hours = days * 24
    first_hour = _hour_of(now) - hours
    result = ScanResult(hours=hours)
    meters = list(water_meters(district_id).select_related("apartment"))
    result.meters = len(meters)
    for part in apartment_chunks(meters, chunk):
        totals = hourly_totals(meters=part, first_hour=first_hour, hours=hours, uri=uri)
        alerts_store(
            meters=part,
            litres=consumption(totals),
            totals=totals,
            first_hour=first_hour,
            result=result,
        )
    return result
