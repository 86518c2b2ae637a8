"""Reads for places: the city's geography is public, the back office sees its scope only."""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import F, Model, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from gorod.errors import NotFound
from gorod.people.scope import restrict
from gorod.places.geo import first_containing
from gorod.places.models import Apartment, Building, District, Institution, Okrug

M = TypeVar("M", bound=Model)

# How each model reaches the institution and the district an official is bound to
# (see gorod.people.scope.restrict); apartments are never an institution's.
SCOPE_PATHS: dict[type[Model], dict[str, str]] = {
    Okrug: {"institution": "districts__institutions", "district": "districts"},
    District: {"institution": "institutions", "district": "pk"},
    Building: {"institution": "institutions", "district": "district"},
    Apartment: {"district": "building__district"},
    Institution: {"institution": "pk", "district": "district"},
}


def places_for_user(queryset: QuerySet[M], user: AbstractBaseUser | AnonymousUser) -> QuerySet[M]:
    """``queryset`` narrowed to the official's institution, district, or the whole city."""
    return restrict(queryset, user, **SCOPE_PATHS[queryset.model]).distinct()


def okrugs_list() -> QuerySet[Okrug]:
    return Okrug.objects.defer("boundary").order_by("name")


def districts_list(*, okrug_id: int | None = None) -> QuerySet[District]:
    districts = (
        District.objects.defer("boundary", "okrug__boundary")
        .select_related("okrug")
        .order_by("name")
    )
    if okrug_id is not None:
        districts = districts.filter(okrug_id=okrug_id)
    return districts


def district_get(*, district_id: int) -> District:
    district = (
        District.objects.select_related("okrug")
        .defer("okrug__boundary")
        .filter(pk=district_id)
        .first()
    )
    if district is None:
        raise NotFound(_("There is no district with this id."), field="district_id")
    return district


def district_at(*, lon: float, lat: float) -> District | None:
    """The district that holds the point: a bounding-box query, then the polygons.

    One query brings the few candidates with their boundaries as text; GEOS parses them
    smallest box first and stops at the first hit. A point on a shared border belongs to
    the first candidate in that (stable) order.
    """
    box_area = (F("max_lon") - F("min_lon")) * (F("max_lat") - F("min_lat"))
    candidates = (
        District.objects.filter(
            min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat
        )
        .exclude(boundary=None)
        .select_related("okrug")
        .defer("boundary", "okrug__boundary")
        .annotate(box_area=box_area, boundary_text=Cast("boundary", TextField()))
        .order_by("box_area", "okato")
    )
    return first_containing(((d, d.boundary_text) for d in candidates), lon, lat)


def buildings_list(*, district_id: int | None = None) -> QuerySet[Building]:
    buildings = Building.objects.order_by("address", "pk")
    if district_id is not None:
        buildings = buildings.filter(district_id=district_id)
    return buildings


def institutions_list(
    *, kind: str | None = None, district_id: int | None = None
) -> QuerySet[Institution]:
    institutions = Institution.objects.filter(is_active=True).order_by("kind", "name", "pk")
    if kind is not None:
        institutions = institutions.filter(kind=kind)
    if district_id is not None:
        institutions = institutions.filter(district_id=district_id)
    return institutions


def city_is_seeded() -> bool:
    return Building.objects.exists()


def demo_home_district() -> District | None:
    """Where the demo family lives: Tverskoy when the real districts are there."""
    with_homes = District.objects.filter(buildings__apartments__isnull=False).distinct()
    return with_homes.filter(name="Тверской").first() or with_homes.order_by("okato").first()


def apartment_vacant(*, district: District) -> Apartment | None:
    return (
        Apartment.objects.filter(building__district=district, residents__isnull=True)
        .order_by("pk")
        .first()
    )


def institution_near(*, kind: str, district: District) -> Institution | None:
    """An institution of ``kind`` in the district, else in its okrug, else anywhere."""
    of_kind = Institution.objects.filter(kind=kind, is_active=True).order_by("pk")
    return (
        of_kind.filter(district=district).first()
        or of_kind.filter(district__okrug_id=district.okrug_id).first()
        or of_kind.first()
    )
