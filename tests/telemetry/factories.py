"""Device types and devices; ``DeviceFactory.create()`` gives an active apartment meter."""

from __future__ import annotations

import factory

from gorod.telemetry.models import Device, DeviceType
from gorod.telemetry.secrets import secret_hash
from tests.places.factories import ApartmentFactory

SECRET = "device-secret-for-tests-0123456789"


class DeviceTypeFactory(factory.django.DjangoModelFactory[DeviceType]):
    class Meta:
        model = DeviceType
        django_get_or_create = ("code",)

    code = "water-meter"
    name = "Water meter"
    metrics = ["water_cold_m3", "water_hot_m3", "flow_lph", "battery_pct", "tamper"]


class DeviceFactory(factory.django.DjangoModelFactory[Device]):
    class Meta:
        model = Device

    id = factory.Sequence(lambda n: f"wm-{n:06d}")
    device_type = factory.SubFactory(DeviceTypeFactory)
    apartment = factory.SubFactory(ApartmentFactory)
    district = factory.LazyAttribute(
        lambda d: (d.apartment.building if d.apartment else d.building).district
    )
    secret_hash = secret_hash(SECRET)
    is_active = True
