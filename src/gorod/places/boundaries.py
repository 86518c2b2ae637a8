"""Okrug and district boundaries from GeoJSON: check every feature, or generate a city.

Pure: no Django. The Moscow files (``shared/data/moscow``) carry the properties NAME, OKATO,
OKTMO, NAME_AO, OKATO_AO, ABBREV_AO and TYPE_MO for districts and NAME, OKATO and ABBREV
for okrugs. A problem is raised as :class:`BoundaryError` naming the feature and the
property, so the caller can phrase it for the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shapely.geometry import box

from gorod.places.geo import Box, GeometryError, box_of, geojson_of, inside_point
from gorod.places.geo import polygon_from_geojson as _polygon

# TYPE_MO values and the District.Kind each one maps to.
DISTRICT_KINDS = {
    "Муниципальный округ": "district",
    "Поселение": "settlement",
    "Городской округ": "urban_okrug",
}


class BoundaryError(ValueError):
    """Feature ``index`` (1-based, named ``name`` when known) has a bad ``prop``.

    ``problem`` is one of: ``missing``, ``not_digits``, ``unknown_kind``, ``duplicate``,
    ``unknown_okrug``, ``geometry`` (with ``detail``), ``collection``.
    """

    def __init__(self, *, index: int, name: str, prop: str, problem: str, detail: str = "") -> None:
        super().__init__(f"feature {index} ({name or '?'}): {prop} {problem} {detail}".strip())
        self.index = index
        self.name = name
        self.prop = prop
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True)
class Area:
    name: str
    okato: str
    geometry: dict[str, Any]
    box: Box
    inside: tuple[float, float]


@dataclass(frozen=True)
class OkrugArea(Area):
    abbrev: str


@dataclass(frozen=True)
class DistrictArea(Area):
    oktmo: str
    kind: str
    okrug_okato: str


def _features(collection: Any) -> list[Any]:
    features = collection.get("features") if isinstance(collection, Mapping) else None
    if (
        not isinstance(collection, Mapping)
        or collection.get("type") != "FeatureCollection"
        or not isinstance(features, list)
        or not features
    ):
        raise BoundaryError(index=0, name="", prop="features", problem="collection")
    return features


class _Feature:
    """One feature being read: every accessor raises BoundaryError naming the property."""

    def __init__(self, index: int, feature: Any) -> None:
        self.index = index
        props = feature.get("properties") if isinstance(feature, Mapping) else None
        self.props: Mapping[str, Any] = props if isinstance(props, Mapping) else {}
        self.geometry_raw = feature.get("geometry") if isinstance(feature, Mapping) else None
        name = self.props.get("NAME")
        self.name = name.strip() if isinstance(name, str) else ""

    def fail(self, prop: str, problem: str, detail: str = "") -> BoundaryError:
        return BoundaryError(
            index=self.index, name=self.name, prop=prop, problem=problem, detail=detail
        )

    def text(self, prop: str) -> str:
        value = self.props.get(prop)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(prop, "missing")
        return value.strip()

    def code(self, prop: str) -> str:
        value = self.text(prop)
        if not value.isdigit() or len(value) > 16:
            raise self.fail(prop, "not_digits")
        return value

    def area(self) -> dict[str, Any]:
        name = self.text("NAME")
        okato = self.code("OKATO")
        try:
            geom = _polygon(self.geometry_raw)
        except GeometryError as exc:
            raise self.fail("geometry", "geometry", str(exc)) from exc
        return {
            "name": name,
            "okato": okato,
            "geometry": geojson_of(geom),
            "box": box_of(geom),
            "inside": inside_point(geom),
        }


def _unique(areas: list[Any]) -> None:
    seen: set[str] = set()
    for index, area in enumerate(areas, start=1):
        if area.okato in seen:
            raise BoundaryError(index=index, name=area.name, prop="OKATO", problem="duplicate")
        seen.add(area.okato)


def okrugs_read(collection: Any) -> list[OkrugArea]:
    okrugs = []
    for index, raw in enumerate(_features(collection), start=1):
        feature = _Feature(index, raw)
        okrugs.append(OkrugArea(**feature.area(), abbrev=feature.text("ABBREV")))
    _unique(okrugs)
    return okrugs


def districts_read(collection: Any, okrugs: list[OkrugArea]) -> list[DistrictArea]:
    known = {okrug.okato for okrug in okrugs}
    districts = []
    for index, raw in enumerate(_features(collection), start=1):
        feature = _Feature(index, raw)
        kind = DISTRICT_KINDS.get(feature.text("TYPE_MO"))
        if kind is None:
            raise feature.fail("TYPE_MO", "unknown_kind")
        okrug_okato = feature.code("OKATO_AO")
        if okrug_okato not in known:
            raise feature.fail("OKATO_AO", "unknown_okrug")
        districts.append(
            DistrictArea(
                **feature.area(),
                oktmo=feature.code("OKTMO"),
                kind=kind,
                okrug_okato=okrug_okato,
            )
        )
    _unique(districts)
    return districts


# The generated city: a grid of okrugs and districts around the centre of Moscow, used when
# the real boundaries are not at hand. Its names say that it is generated.
GRID_CENTRE = (37.62, 55.75)
GRID_OKRUGS = 2  # per side: 2 x 2 okrugs
GRID_DISTRICTS = 3  # per side of an okrug: 3 x 3 districts
CELL_LON, CELL_LAT = 0.05, 0.03


def _feature(geom: Any, **props: str) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geojson_of(geom)}


def generated_city() -> tuple[dict[str, Any], dict[str, Any]]:
    """(okrugs, districts) FeatureCollections of a generated city, Moscow-style properties."""
    okrug_features, district_features = [], []
    side = GRID_OKRUGS * GRID_DISTRICTS
    west = GRID_CENTRE[0] - side * CELL_LON / 2
    south = GRID_CENTRE[1] - side * CELL_LAT / 2
    for okrug_no in range(1, GRID_OKRUGS**2 + 1):
        row, col = divmod(okrug_no - 1, GRID_OKRUGS)
        okrug_west = west + col * GRID_DISTRICTS * CELL_LON
        okrug_south = south + row * GRID_DISTRICTS * CELL_LAT
        okrug_name = f"Сгенерированный округ {okrug_no}"
        okrug_okato = f"990{okrug_no:02d}000"
        okrug_abbrev = f"СГО{okrug_no}"
        okrug_box = box(
            okrug_west,
            okrug_south,
            okrug_west + GRID_DISTRICTS * CELL_LON,
            okrug_south + GRID_DISTRICTS * CELL_LAT,
        )
        okrug_features.append(
            _feature(okrug_box, NAME=okrug_name, OKATO=okrug_okato, ABBREV=okrug_abbrev)
        )
        for district_no in range(1, GRID_DISTRICTS**2 + 1):
            d_row, d_col = divmod(district_no - 1, GRID_DISTRICTS)
            d_west = okrug_west + d_col * CELL_LON
            d_south = okrug_south + d_row * CELL_LAT
            district_features.append(
                _feature(
                    box(d_west, d_south, d_west + CELL_LON, d_south + CELL_LAT),
                    NAME=f"Сгенерированный район {okrug_no}-{district_no}",
                    OKATO=f"990{okrug_no:02d}{district_no:03d}",
                    OKTMO=f"991{okrug_no:02d}{district_no:03d}",
                    NAME_AO=okrug_name,
                    OKATO_AO=okrug_okato,
                    ABBREV_AO=okrug_abbrev,
                    TYPE_MO="Муниципальный округ",
                )
            )
    return (
        {"type": "FeatureCollection", "features": okrug_features},
        {"type": "FeatureCollection", "features": district_features},
    )
