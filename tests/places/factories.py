"""Factories for places: a small square district unless told otherwise."""

from __future__ import annotations

import factory

from gorod.places.models import Apartment, Building, District, Institution, Okrug


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, object]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


class OkrugFactory(factory.django.DjangoModelFactory[Okrug]):
    class Meta:
        model = Okrug

    name = factory.Sequence(lambda n: f"Тестовый административный округ {n}")
    okato = factory.Sequence(lambda n: f"45{n:06d}")
    abbrev = factory.Sequence(lambda n: f"ТАО{n}")


class DistrictFactory(factory.django.DjangoModelFactory[District]):
    class Meta:
        model = District

    name = factory.Sequence(lambda n: f"Тестовый район {n}")
    okato = factory.Sequence(lambda n: f"46{n:06d}")
    oktmo = factory.Sequence(lambda n: f"47{n:06d}")
    okrug = factory.SubFactory(OkrugFactory)
    min_lon = factory.Sequence(lambda n: 37.0 + (n % 50) * 0.02)
    min_lat = factory.Sequence(lambda n: 55.5 + (n // 50) * 0.02)
    max_lon = factory.LazyAttribute(lambda d: d.min_lon + 0.01)
    max_lat = factory.LazyAttribute(lambda d: d.min_lat + 0.01)
    centroid_lon = factory.LazyAttribute(lambda d: d.min_lon + 0.005)
    centroid_lat = factory.LazyAttribute(lambda d: d.min_lat + 0.005)
    boundary = factory.LazyAttribute(lambda d: square(d.min_lon, d.min_lat))


class BuildingFactory(factory.django.DjangoModelFactory[Building]):
    class Meta:
        model = Building

    district = factory.SubFactory(DistrictFactory)
    address = factory.Sequence(lambda n: f"Москва, Тестовая улица, дом {n + 1}")
    lat = factory.LazyAttribute(lambda b: b.district.centroid_lat)
    lon = factory.LazyAttribute(lambda b: b.district.centroid_lon)
    year_built = 1975
    floors = 9


class ApartmentFactory(factory.django.DjangoModelFactory[Apartment]):
    class Meta:
        model = Apartment

    building = factory.SubFactory(BuildingFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    floor = 3
    rooms = 2


class InstitutionFactory(factory.django.DjangoModelFactory[Institution]):
    class Meta:
        model = Institution

    kind = Institution.Kind.REGISTRY_OFFICE
    name = factory.Sequence(lambda n: f"Тестовое учреждение {n}")
    district = factory.SubFactory(DistrictFactory)
    address = factory.LazyAttribute(lambda i: f"Москва, {i.district.name}, дом 1")
    lat = factory.LazyAttribute(lambda i: i.district.centroid_lat)
    lon = factory.LazyAttribute(lambda i: i.district.centroid_lon)
