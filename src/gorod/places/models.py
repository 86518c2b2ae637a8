"""The city's geography and its institutions.

Boundaries are stored as GeoJSON geometry with a bounding box, so point-in-district
lookups prefilter in the database and test the polygon only for the few candidates.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Area(models.Model):
    name = models.CharField(_("name"), max_length=200)
    okato = models.CharField("OKATO", max_length=16, unique=True)
    boundary = models.JSONField(_("boundary (GeoJSON geometry)"), null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)
    centroid_lon = models.FloatField(null=True, blank=True)
    centroid_lat = models.FloatField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Okrug(Area):
    """An administrative okrug (Moscow has 12)."""

    abbrev = models.CharField(_("abbreviation"), max_length=16)

    class Meta(Area.Meta):
        verbose_name = _("okrug")
        verbose_name_plural = _("okrugs")


class District(Area):
    """A municipal district, settlement or urban okrug inside an okrug."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("municipal district")
        SETTLEMENT = "settlement", _("settlement")
        URBAN_OKRUG = "urban_okrug", _("urban okrug")

    okrug = models.ForeignKey(
        Okrug, on_delete=models.PROTECT, related_name="districts", verbose_name=_("okrug")
    )
    oktmo = models.CharField("OKTMO", max_length=16, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.DISTRICT)

    class Meta(Area.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"])]


class Building(models.Model):
    address = models.CharField(_("address"), max_length=300)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("district")
    )
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    year_built = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    floors = models.PositiveSmallIntegerField(_("floors"), default=1)

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["address"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lat__gte=-90, lat__lte=90), name="building_lat_range"
            ),
            models.CheckConstraint(
                condition=Q(lon__gte=-180, lon__lte=180), name="building_lon_range"
            ),
            models.CheckConstraint(condition=Q(floors__gte=1), name="building_has_a_floor"),
        ]

    def __str__(self) -> str:
        return self.address


class Apartment(models.Model):
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, related_name="apartments", verbose_name=_("building")
    )
    number = models.CharField(_("number"), max_length=16)
    floor = models.PositiveSmallIntegerField(_("floor"), default=1)
    area_m2 = models.DecimalField(
        _("area, m²"), max_digits=7, decimal_places=1, null=True, blank=True
    )
    rooms = models.PositiveSmallIntegerField(_("rooms"), default=1)

    class Meta:
        verbose_name = _("apartment")
        verbose_name_plural = _("apartments")
        ordering = ["building", "number"]
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="apartment_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.building.address}, кв. {self.number}"


class Institution(models.Model):
    """A place the city runs that serves citizens."""

    class Kind(models.TextChoices):
        REGISTRY_OFFICE = "registry_office", _("civil registry office")
        SERVICE_CENTRE = "service_centre", _("public service centre")
        CLINIC = "clinic", _("clinic")
        KINDERGARTEN = "kindergarten", _("kindergarten")
        SCHOOL = "school", _("school")
        CLUB = "club", _("club")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=120, blank=True)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="institutions", verbose_name=_("district")
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="institutions",
        verbose_name=_("building"),
    )
    address = models.CharField(_("address"), max_length=300)
    lat = models.FloatField(_("latitude"))
    lon = models.FloatField(_("longitude"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    # {"mon": [["08:00", "20:00"]], ..., "sun": []}: intervals per weekday, local time.
    opening_hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["kind", "district"])]

    def __str__(self) -> str:
        return self.short_name or self.name
