"""The demo city's utilities: the demo family's meters with six months of history and bills,
and water meters in their district whose last five weeks of hourly data, with a few leaks
and a stuck meter in it, are in the telemetry table, scanned into alerts and forecast.

Run by ``gorod demo`` after the city is seeded and the demo accounts exist. Deterministic
(``seed``), idempotent (nothing is done when the demo apartment has meters), and quick.
Meters are devices: the demo family's reuse the telemetry demo fleet's devices of their
apartment when there are any (water and heat), the others are provisioned here; each
register's value now becomes its device's latest state, so the live fleet goes on from it.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pyarrow as pa
from django.utils import timezone

from gorod.people.demo import CITIZEN_EMAIL
from gorod.people.models import Citizen, User
from gorod.places.models import Apartment
from gorod.telemetry import conf as telemetry_conf
from gorod.telemetry import table
from gorod.telemetry.models import Device, DeviceState
from gorod.telemetry.services import DeviceSpec, device_type_ensure, devices_provision
from gorod.utilities import conf, selectors, services
from gorod.utilities.forecasts import forecasts_make
from gorod.utilities.models import RESOURCE_METRIC, Meter, Resource, Tariff
from gorod.utilities.scan import scan
from gorod.utilities.vee import month_index, month_start

HISTORY_MONTHS = 6
SCAN_DAYS = 14
DATA_DAYS = 35  # enough for the district's forecast (three weeks at least)
DISTRICT_METERS = 40
# Monthly use of the demo household (4 people): (low, high) per resource.
HOUSEHOLD = {
    Resource.WATER_COLD: (14.0, 19.0),
    Resource.WATER_HOT: (9.0, 13.0),
    Resource.HEAT: (0.9, 1.5),
    Resource.POWER_DAY: (190.0, 260.0),
    Resource.POWER_NIGHT: (80.0, 120.0),
}
SMART = {Resource.HEAT, Resource.POWER_DAY, Resource.POWER_NIGHT}
# Hourly litres of a household by local hour: quiet nights, morning and evening peaks.
PROFILE = [0, 0, 0, 0, 0, 0, 8, 35, 30, 10, 6, 5, 8, 6, 5, 6, 8, 12, 20, 30, 28, 18, 10, 3]


def _device_type(resource: str) -> str:
    metric = RESOURCE_METRIC[Resource(resource)]
    code = f"utilities-{resource.replace('_', '-')}"
    device_type_ensure(code=code, name=f"{Resource(resource).label}", metrics=[metric])
    return code


def _free_device(apartment: Apartment, resource: str) -> Device | None:
    """A fleet device of the apartment that reports the resource and is no meter yet."""
    metric = RESOURCE_METRIC[Resource(resource)]
    for device in Device.objects.filter(apartment=apartment, meter__isnull=True).select_related(
        "device_type"
    ):
        if metric in device.device_type.metrics:
            return device
    return None


def _meters_create(
    apartment: Apartment, resources: list[str], *, prefix: str, installed_on: dt.date
) -> list[Meter]:
    devices = {r: _free_device(apartment, r) for r in resources}
    specs = [
        DeviceSpec(
            device_id=f"{prefix}-{apartment.pk}-{r.replace('_', '-')}",
            device_type=_device_type(r),
            apartment_id=apartment.pk,
        )
        for r, device in devices.items()
        if device is None
    ]
    for made in devices_provision(specs=specs):
        resource = next(r for r in resources if made.device.pk.endswith(r.replace("_", "-")))
        devices[resource] = made.device
    return [
        Meter.objects.create(
            device=device,
            apartment=apartment,
            resource=resource,
            serial=f"{prefix.upper()}{apartment.pk:06d}{n}",
            is_smart=resource in SMART,
            installed_on=installed_on,
            verified_until=installed_on.replace(year=installed_on.year + 6),
        )
        for n, (resource, device) in enumerate(devices.items())
        if device is not None
    ]


def _tariffs(today: dt.date) -> None:
    start = today.replace(month=1, day=1)
    for resource, price in conf.default_tariffs().items():
        Tariff.objects.get_or_create(resource=resource, valid_from=start, defaults={"price": price})


def _in_window(period: dt.date, day: int) -> dt.datetime:
    return dt.datetime.combine(
        period.replace(day=day), dt.time(12), tzinfo=timezone.get_current_timezone()
    )


def _family_history(citizen: Citizen, meters: list[Meter], rng: random.Random) -> None:
    """Six months of readings and bills; the hot water is missed once (an estimate, then
    recalculated from the next real reading)."""
    if citizen.user is None or citizen.apartment is None:
        return
    totals = {m.pk: Decimal(rng.randint(100, 900)) for m in meters}
    for m in meters:
        m.initial_value = totals[m.pk]
        m.save(update_fields=["initial_value"])
    current = month_index(selectors.today())
    first, last = conf.window_days()
    for back in range(HISTORY_MONTHS, 0, -1):
        period = month_start(current - back)
        smart: dict[str, Decimal] = {}
        submitted: dict[int, object] = {}
        for m in meters:
            low, high = HOUSEHOLD[Resource(m.resource)]
            totals[m.pk] += Decimal(str(round(rng.uniform(low, high), 3)))
            if m.is_smart:
                smart[m.device_id] = totals[m.pk]
            elif not (back == 3 and m.resource == Resource.WATER_HOT):
                submitted[m.pk] = totals[m.pk]
        services.readings_submit(
            user=citizen.user, values=submitted, now=_in_window(period, (first + last) // 2)
        )
        result = services.CloseResult(period)
        services.apartment_close(
            apartment=citizen.apartment,
            period=period,
            smart_values=smart,
            result=result,
            now=_in_window(period, min(last + 1, 28)),
        )
    _latest_states(meters, totals, rng)


def _latest_states(meters: list[Meter], totals: dict[int, Decimal], rng: random.Random) -> None:
    """Each register's value now (this month's use so far on top of the history), as the
    device's latest state: smart meters show it, and the live demo fleet goes on from it."""
    now = timezone.now()
    share = Decimal(selectors.today().day) / Decimal(31)
    for m in meters:
        low, high = HOUSEHOLD[Resource(m.resource)]
        value = totals[m.pk] + Decimal(str(round(rng.uniform(low, high), 3))) * share
        DeviceState.objects.update_or_create(
            device_id=m.device_id,
            metric=RESOURCE_METRIC[Resource(m.resource)],
            defaults={"ts": now, "value": float(round(value, 3))},
        )


def _hourly_rows(
    meters: list[Meter], rng: random.Random, now: dt.datetime
) -> tuple[pa.Table, dict[str, Decimal]]:
    """Five weeks of hourly register values (m³): households, three leaks in the last week,
    a meter stuck for the last three days."""
    hours = DATA_DAYS * 24
    start_hour = int(now.timestamp()) // 3600 - hours
    leaks = {m.pk: rng.uniform(6, 15) for m in rng.sample(meters, 3)}
    stuck = {m.pk for m in rng.sample([m for m in meters if m.pk not in leaks], 1)}
    ids, stamps, values, districts, latest = [], [], [], [], {}
    for m in meters:
        total = float(m.initial_value)
        scale = rng.uniform(0.6, 1.6)
        for h in range(hours):
            hour = start_hour + h
            local = (hour + 3) % 24
            used = PROFILE[local] * scale * rng.uniform(0.5, 1.5) if PROFILE[local] else 0.0
            if m.pk in leaks and h >= hours - 7 * 24:
                used += leaks[m.pk]
            if m.pk in stuck and h >= hours - 72:
                used = 0.0
            total += used / 1000
            ids.append(m.device_id)
            stamps.append(dt.datetime.fromtimestamp(hour * 3600 + 3000, tz=dt.UTC))
            values.append(round(total, 4))
            districts.append(m.apartment.building.district_id)
        latest[m.device_id] = Decimal(str(round(total, 3)))
    rows = pa.table(
        {
            "device_id": ids,
            "metric": [RESOURCE_METRIC[Resource.WATER_COLD]] * len(ids),
            "ts": pa.array(stamps, pa.timestamp("us", tz="UTC")),
            "value": values,
            "district_id": pa.array(districts, pa.int32()),
        }
    )
    return rows, latest


def _district(citizen: Citizen, rng: random.Random, stdout: Any) -> None:
    """Water meters in the family's district, their hourly data in the table, the month's
    readings (some by residents, some still missing) and the alerts the detectors find."""
    if citizen.apartment is None:
        return
    district = citizen.apartment.building.district
    homes = list(
        Apartment.objects.filter(building__district=district, meters__isnull=True)
        .exclude(pk=citizen.apartment.pk)
        .select_related("building")
        .order_by("pk")[: DISTRICT_METERS * 3]
    )
    homes = sorted(rng.sample(homes, min(DISTRICT_METERS, len(homes))), key=lambda a: a.pk)
    installed = selectors.today().replace(day=1) - dt.timedelta(days=400)
    meters = [
        meter
        for home in homes
        for meter in _meters_create(
            home, [Resource.WATER_COLD], prefix="dm", installed_on=installed
        )
    ]
    for m in meters:
        m.initial_value = Decimal(rng.randint(50, 2000))
        m.save(update_fields=["initial_value"])
    now = timezone.now()
    rows, latest = _hourly_rows(meters, rng, now)
    table.append(telemetry_conf.table_uri(), rows, storage_options=telemetry_conf.storage_options())
    period = selectors.period_of(selectors.today())
    for m in meters[: len(meters) * 2 // 3]:
        services.reading_record(meter=m, period=period, value=latest[m.device_id], now=now)
    result = scan(days=SCAN_DAYS, now=now, district_id=district.pk)
    made = forecasts_make(district_ids=[district.pk], days=DATA_DAYS - 2, now=now).made
    stdout.write(
        f"utilities: {len(meters)} water meters in {district}, {result.created} alerts, "
        f"{made} forecast\n"
    )


def demo_prepare(*, seed: int, stdout: Any) -> None:
    user = User.objects.filter(email=CITIZEN_EMAIL).first()
    if user is None:  # no demo accounts: nobody to prepare for
        return
    citizen = Citizen.objects.filter(user=user).select_related("apartment__building").first()
    if citizen is None or citizen.apartment is None:
        return
    if Meter.objects.filter(apartment=citizen.apartment).exists():
        return
    rng = random.Random(seed)  # noqa: S311  (synthetic demo data, not a secret)
    today = selectors.today()
    _tariffs(today)
    installed = month_start(month_index(today) - HISTORY_MONTHS - 1).replace(day=10)
    meters = _meters_create(citizen.apartment, list(HOUSEHOLD), prefix="um", installed_on=installed)
    _family_history(citizen, meters, rng)
    _district(citizen, rng, stdout)
    stdout.write(f"utilities: {len(meters)} meters and their history for {citizen.apartment}\n")
