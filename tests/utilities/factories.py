"""Meters on telemetry devices, and their readings, for the utilities tests."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from decimal import Decimal

import pyarrow as pa
from django.utils import timezone

from gorod.places.models import Apartment
from gorod.telemetry.models import Device, DeviceType
from gorod.utilities.models import RESOURCE_METRIC, Meter, Reading, Resource

_serials = itertools.count(1)


def meter_for(
    apartment: Apartment,
    resource: str = Resource.WATER_COLD,
    *,
    is_smart: bool = False,
    installed_on: dt.date = dt.date(2025, 1, 10),
    **kwargs: object,
) -> Meter:
    """A meter of ``apartment`` on a fresh device of the resource's meter type."""
    number = next(_serials)
    metric = RESOURCE_METRIC[Resource(resource)]
    kind, _ = DeviceType.objects.get_or_create(
        code=f"test-{metric}", defaults={"name": metric, "metrics": [metric]}
    )
    device = Device.objects.create(
        id=f"test-m-{number:06d}",
        device_type=kind,
        apartment=apartment,
        district=apartment.building.district,
        secret_hash="0" * 64,
    )
    return Meter.objects.create(
        device=device,
        apartment=apartment,
        resource=resource,
        serial=f"T{number:07d}",
        is_smart=is_smart,
        installed_on=installed_on,
        **kwargs,
    )


def reading(
    meter: Meter,
    period: dt.date,
    value: str,
    *,
    source: str = Reading.Source.CITIZEN,
    status: str = Reading.Status.ACCEPTED,
    consumption: str | None = None,
) -> Reading:
    """A reading as if accepted earlier, read on the 20th of its month."""
    return Reading.objects.create(
        meter=meter,
        period=period,
        value=Decimal(value),
        consumption=Decimal(consumption) if consumption is not None else None,
        read_on=period.replace(day=20),
        source=source,
        status=status,
        submitted_at=timezone.now(),
    )


def in_window(period: dt.date, day: int = 20) -> dt.datetime:
    """Noon Moscow time on ``day`` of ``period``'s month."""
    return dt.datetime.combine(
        period.replace(day=day), dt.time(12), tzinfo=timezone.get_current_timezone()
    )


def register_table(
    meters: dict[Meter, Callable[[int], float]], *, start: dt.datetime, hours: int
) -> pa.Table:
    """Hourly register values (m³) of water meters in the telemetry table's shape, each
    rising by ``litres(hour)`` litres an hour from 100 m³."""
    ids, stamps, values, districts = [], [], [], []
    for meter, litres in meters.items():
        total = 100.0
        for hour in range(hours):
            total += litres(hour) / 1000
            ids.append(meter.device_id)
            stamps.append(start + dt.timedelta(hours=hour, minutes=59))
            values.append(total)
            districts.append(meter.apartment.building.district_id)
    return pa.table(
        {
            "device_id": ids,
            "metric": [RESOURCE_METRIC[Resource(m.resource)] for m in meters for _ in range(hours)],
            "ts": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "value": values,
            "district_id": pa.array(districts, pa.int32()),
        }
    )
