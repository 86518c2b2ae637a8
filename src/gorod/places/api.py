"""Places API: okrugs, districts (with a GeoJSON boundary one at a time), point lookup,
buildings and institutions.

No ``from __future__ import annotations`` here: Ninja reads the annotations at run time.
"""

from typing import Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema
from ninja.pagination import paginate

from gorod.errors import NotFound
from gorod.places import selectors
from gorod.places.models import Building, District, Institution, Okrug
from gorod.schemas import Pages

router = Router(tags=["places"])

MAX_ID = 2**63 - 1


class OkrugOut(Schema):
    id: int
    name: str
    okato: str
    abbrev: str


class DistrictOut(Schema):
    id: int
    name: str
    okato: str
    oktmo: str
    kind: str
    okrug_id: int
    okrug_name: str = Field(alias="okrug.name")
    bbox: list[float] | None
    centroid: list[float] | None

    @staticmethod
    def resolve_bbox(obj: District) -> list[float] | None:
        box = [obj.min_lon, obj.min_lat, obj.max_lon, obj.max_lat]
        return None if None in box else [float(x) for x in box if x is not None]

    @staticmethod
    def resolve_centroid(obj: District) -> list[float] | None:
        if obj.centroid_lon is None or obj.centroid_lat is None:
            return None
        return [obj.centroid_lon, obj.centroid_lat]


class DistrictFeature(Schema):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: dict[str, Any] | None
    properties: DistrictOut


class BuildingOut(Schema):
    id: int
    address: str
    district_id: int
    lon: float
    lat: float
    year_built: int | None
    floors: int


class InstitutionOut(Schema):
    id: int
    kind: str
    name: str
    short_name: str
    district_id: int
    building_id: int | None
    address: str
    lon: float
    lat: float
    phone: str
    opening_hours: dict[str, Any]


class DistrictPath(Schema):
    district_id: int = Field(..., ge=1, le=MAX_ID)


class DistrictFilter(Schema):
    okrug: int | None = Field(None, ge=1, le=MAX_ID, description="okrug id")


class LookupQuery(Schema):
    lon: float = Field(..., ge=-180, le=180, description="longitude, WGS 84")
    lat: float = Field(..., ge=-90, le=90, description="latitude, WGS 84")


class BuildingFilter(Schema):
    district: int | None = Field(None, ge=1, le=MAX_ID, description="district id")


class InstitutionFilter(BuildingFilter):
    kind: Institution.Kind | None = None


def _district_id(district: int | None) -> int | None:
    """The filter's district, refused when there is none with that id."""
    if district is not None and not District.objects.filter(pk=district).exists():
        raise NotFound(_("There is no district with this id."), field="district")
    return district


@router.get("/okrugs", response=list[OkrugOut])
def okrugs(request: HttpRequest) -> QuerySet[Okrug]:
    return selectors.okrugs_list()


@router.get("/districts", response=list[DistrictOut])
def districts(request: HttpRequest, filters: Query[DistrictFilter]) -> QuerySet[District]:
    return selectors.districts_list(okrug_id=filters.okrug)


@router.get("/districts/{district_id}", response=DistrictFeature)
def district(request: HttpRequest, path: Path[DistrictPath]) -> Any:
    found = selectors.district_get(district_id=path.district_id)
    return {"id": found.pk, "geometry": found.boundary, "properties": found}


@router.get("/lookup", response=DistrictOut)
def lookup(request: HttpRequest, point: Query[LookupQuery]) -> District:
    found = selectors.district_at(lon=point.lon, lat=point.lat)
    if found is None:
        raise NotFound(_("No district of the city contains this point."))
    return found


@router.get("/buildings", response=list[BuildingOut])
@paginate(Pages)
def buildings(request: HttpRequest, filters: Query[BuildingFilter]) -> QuerySet[Building]:
    return selectors.buildings_list(district_id=_district_id(filters.district))


@router.get("/institutions", response=list[InstitutionOut])
@paginate(Pages)
def institutions(request: HttpRequest, filters: Query[InstitutionFilter]) -> QuerySet[Institution]:
    return selectors.institutions_list(
        kind=filters.kind, district_id=_district_id(filters.district)
    )
