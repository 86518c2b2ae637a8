"""Telemetry writes: device types, provisioning, deactivation, secret rotation, ingest stats.

A device's secret is made here, returned once to the caller and never stored: the database
keeps its SHA-256 digest (checked by the HTTP endpoints) and Mosquitto's PBKDF2 form (written
into the broker's password file by ``gorod telemetry broker-config``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError, Conflict
from gorod.places.models import Apartment, Building, Institution
from gorod.telemetry.ingest import registry
from gorod.telemetry.metrics import METRICS
from gorod.telemetry.models import DEVICE_ID_MAX, Device, DeviceType, IngestStat
from gorod.telemetry.mqtt import topic_route
from gorod.telemetry.secrets import mosquitto_hash, secret_hash, secret_new


@dataclass(frozen=True)
class DeviceSpec:
    """One device to provision (a CSV row or an API item)."""

    device_id: str
    device_type: str
    apartment_id: int | None = None
    building_id: int | None = None
    institution_id: int | None = None
    gateway_id: str | None = None
    is_gateway: bool = False


@dataclass(frozen=True)
class Provisioned:
    device: Device
    secret: str


DEFAULT_TYPES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "water-meter",
        "Water meter",
        ("water_cold_m3", "water_hot_m3", "flow_lph", "battery_pct", "tamper"),
    ),
    ("heat-meter", "Heat meter", ("heat_gcal", "temperature_c", "flow_lph", "tamper")),
    ("power-meter", "Electricity meter", ("power_kwh_t1", "power_kwh_t2", "tamper")),
    ("air-sensor", "Air quality sensor", ("pm25_ugm3", "temperature_c", "battery_pct")),
    ("noise-sensor", "Noise sensor", ("noise_db", "battery_pct")),
    ("gateway", "Gateway", ()),
)
"""The device types a city starts with (``gorod telemetry types --defaults``)."""


def device_types_ensure_defaults() -> list[DeviceType]:
    return [
        device_type_ensure(code=code, name=name, metrics=metrics)
        for code, name, metrics in DEFAULT_TYPES
    ]


def device_type_ensure(*, code: str, name: str, metrics: Sequence[str]) -> DeviceType:
    """Create or update a device type; every metric must be one the platform knows."""
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise ApplicationError(
            _("Unknown metrics: %(names)s.") % {"names": ", ".join(unknown)}, field="metrics"
        )
    device_type, _created = DeviceType.objects.update_or_create(
        code=code, defaults={"name": name, "metrics": list(metrics)}
    )
    return device_type


def _credentials(device_id: str) -> tuple[str, str, str]:
    secret = secret_new(device_id)
    return secret, secret_hash(secret), mosquitto_hash(secret)


def _check_id(device_id: str, field: str) -> None:
    if (
        not device_id
        or len(device_id) > DEVICE_ID_MAX
        or topic_route(f"gorod/v1/devices/{device_id}/telemetry") != ("device", device_id)
    ):
        raise ApplicationError(
            _(
                "A device id is up to 128 letters, digits, dots, dashes, underscores or colons, "
                "starting with a letter or digit: %(id)s."
            )
            % {"id": device_id[:140]},
            field=field,
        )


@transaction.atomic
def devices_provision(*, specs: Sequence[DeviceSpec]) -> list[Provisioned]:
    """Create devices with fresh secrets, all or none; errors name the item (``items[3].type``)."""
    types = {t.code: t for t in DeviceType.objects.all()}
    wanted = [s.device_id for s in specs]
    taken = set(Device.objects.filter(id__in=wanted).values_list("id", flat=True))
    apartments = Apartment.objects.select_related("building").in_bulk(
        {s.apartment_id for s in specs if s.apartment_id is not None}
    )
    buildings = Building.objects.in_bulk({s.building_id for s in specs if s.building_id})
    institutions = Institution.objects.in_bulk(
        {s.institution_id for s in specs if s.institution_id is not None}
    )
    gateways_here = {s.device_id for s in specs if s.is_gateway}
    gateway_ids = {s.gateway_id for s in specs if s.gateway_id} - gateways_here
    gateways_known = set(
        Device.objects.filter(id__in=gateway_ids, is_gateway=True).values_list("id", flat=True)
    )
    seen: set[str] = set()
    devices: list[Device] = []
    secrets: list[str] = []
    for n, spec in enumerate(specs):
        where = f"items[{n}]"
        _check_id(spec.device_id, f"{where}.device_id")
        if spec.device_id in taken or spec.device_id in seen:
            raise Conflict(
                _("Device %(id)s already exists.") % {"id": spec.device_id},
                field=f"{where}.device_id",
            )
        seen.add(spec.device_id)
        device_type = types.get(spec.device_type)
        if device_type is None:
            raise ApplicationError(
                _("No device type %(code)s.") % {"code": spec.device_type[:80]},
                field=f"{where}.type",
            )
        places = [spec.apartment_id, spec.building_id, spec.institution_id]
        if sum(p is not None for p in places) != 1:
            raise ApplicationError(
                _("A device is placed in exactly one apartment, building or institution."),
                field=f"{where}.apartment_id",
            )
        apartment = apartments.get(spec.apartment_id) if spec.apartment_id is not None else None
        building = buildings.get(spec.building_id) if spec.building_id is not None else None
        institution = (
            institutions.get(spec.institution_id) if spec.institution_id is not None else None
        )
        if apartment is None and building is None and institution is None:
            column = (
                "apartment_id"
                if spec.apartment_id is not None
                else "building_id"
                if spec.building_id is not None
                else "institution_id"
            )
            raise ApplicationError(
                _("No such apartment, building or institution."), field=f"{where}.{column}"
            )
        if spec.gateway_id and spec.gateway_id not in gateways_here | gateways_known:
            raise ApplicationError(
                _("No gateway %(id)s.") % {"id": spec.gateway_id[:140]},
                field=f"{where}.gateway_id",
            )
        district_id = (
            apartment.building.district_id
            if apartment
            else building.district_id
            if building
            else institution.district_id  # type: ignore[union-attr]
        )
        secret, digest, broker = _credentials(spec.device_id)
        secrets.append(secret)
        devices.append(
            Device(
                id=spec.device_id,
                device_type=device_type,
                apartment=apartment,
                building=building,
                institution=institution,
                district_id=district_id,
                gateway_id=spec.gateway_id or None,
                secret_hash=digest,
                broker_hash=broker,
                is_gateway=spec.is_gateway,
            )
        )
    # Gateways first, so devices created in the same call can point at them.
    order = sorted(range(len(devices)), key=lambda i: not devices[i].is_gateway)
    Device.objects.bulk_create([devices[i] for i in order], batch_size=1000)
    return [Provisioned(device, secret) for device, secret in zip(devices, secrets, strict=True)]


def device_provision(*, spec: DeviceSpec) -> Provisioned:
    [provisioned] = devices_provision(specs=[spec])
    return provisioned


def _active_set(device: Device, active: bool) -> Device:
    device.is_active = active
    device.save(update_fields=["is_active"])
    transaction.on_commit(registry.clear)
    return device


@transaction.atomic
def device_deactivate(*, device: Device) -> Device:
    """Stop accepting the device's readings (within the registry cache's lifetime elsewhere)."""
    return _active_set(device, False)


@transaction.atomic
def device_activate(*, device: Device) -> Device:
    return _active_set(device, True)


@transaction.atomic
def device_secret_rotate(*, device: Device) -> str:
    """A new secret for the device; the old one stops working at once on HTTP."""
    secret, digest, broker = _credentials(device.id)
    device.secret_hash = digest
    device.broker_hash = broker
    device.save(update_fields=["secret_hash", "broker_hash"])
    return secret


@transaction.atomic
def ingest_stat_record(
    *,
    worker: str,
    window_start: dt.datetime,
    window_seconds: float,
    messages: int,
    accepted: int,
    rejected: int,
    duplicates: int,
    max_lag_s: float,
) -> IngestStat:
    """One worker's counts over one window (the ingestion status page sums them)."""
    if window_seconds <= 0:
        raise ApplicationError(_("A window lasts some time."), field="window_seconds")
    stat, _created = IngestStat.objects.update_or_create(
        worker=worker[:200],
        window_start=window_start,
        defaults={
            "window_seconds": window_seconds,
            "messages": messages,
            "accepted": accepted,
            "rejected": rejected,
            "duplicates": duplicates,
            "max_lag_s": max_lag_s,
        },
    )
    return stat
