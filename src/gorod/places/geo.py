"""Geometry of areas: parse GeoJSON, repair it, find which area holds a point, sample points.

Pure: shapely and plain data, no Django. Coordinates are WGS 84 (longitude, latitude).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

POLYGONAL = ("Polygon", "MultiPolygon")
K = TypeVar("K")


class GeometryError(ValueError):
    """A GeoJSON geometry that is not a usable polygon."""


@dataclass(frozen=True)
class Box:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    def holds(self, lon: float, lat: float) -> bool:
        return self.min_lon <= lon <= self.max_lon and self.min_lat <= lat <= self.max_lat


def polygon_from_geojson(geometry: Any) -> BaseGeometry:
    """A valid (Multi)Polygon from a GeoJSON geometry; self-intersections are repaired."""
    if not isinstance(geometry, Mapping) or geometry.get("type") not in POLYGONAL:
        raise GeometryError("not a GeoJSON Polygon or MultiPolygon")
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise GeometryError(f"malformed coordinates ({exc})") from exc
    if geom.is_empty:
        raise GeometryError("empty geometry")
    if not geom.is_valid:
        geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    if geom.geom_type not in POLYGONAL or geom.area == 0:
        raise GeometryError("the polygon has no area")
    return geom


def geojson_of(geom: BaseGeometry) -> dict[str, Any]:
    """The GeoJSON geometry of ``geom``, with lists (not tuples) so it stores as JSON."""
    return {"type": geom.geom_type, "coordinates": _lists(mapping(geom)["coordinates"])}


def _lists(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_lists(item) for item in value]
    return value


def box_of(geom: BaseGeometry) -> Box:
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    return Box(min_lon, min_lat, max_lon, max_lat)


def inside_point(geom: BaseGeometry) -> tuple[float, float]:
    """A point guaranteed to lie inside ``geom`` (unlike the centroid of a crescent)."""
    point = geom.representative_point()
    return point.x, point.y


def first_containing(candidates: Iterable[tuple[K, Any]], lon: float, lat: float) -> K | None:
    """The key of the first candidate whose geometry covers the point.

    A geometry is GeoJSON, as text (parsed by GEOS, the fast way) or as a mapping. A point
    on a shared border belongs to the first candidate, so callers pass them in a stable order.
    """
    for key, geometry in candidates:
        geom = shapely.from_geojson(geometry) if isinstance(geometry, str) else shape(geometry)
        if shapely.intersects_xy(geom, lon, lat):
            return key
    return None


class Locator(Generic[K]):
    """Many lookups against fixed areas: an STRtree over prepared polygons."""

    def __init__(self, areas: Iterable[tuple[K, BaseGeometry]]) -> None:
        pairs = list(areas)
        self._keys = [key for key, _ in pairs]
        self._geoms = [geom for _, geom in pairs]
        for geom in self._geoms:
            shapely.prepare(geom)
        self._tree = shapely.STRtree(self._geoms)

    def locate(self, lon: float, lat: float) -> K | None:
        hits = self._tree.query(shapely.Point(lon, lat), predicate="intersects")
        return self._keys[min(hits)] if len(hits) else None


def sample_points(
    geom: BaseGeometry, count: int, rng: random.Random, *, max_rounds: int = 50
) -> list[tuple[float, float]]:
    """``count`` uniformly random points inside ``geom``, drawn from its bounding box."""
    shapely.prepare(geom)
    min_lon, min_lat, max_lon, max_lat = geom.bounds
    points: list[tuple[float, float]] = []
    for _ in range(max_rounds):
        need = count - len(points)
        if need <= 0:
            break
        batch = [
            (rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat))
            for _ in range(need * 2 + 8)
        ]
        inside = shapely.contains_xy(geom, [p[0] for p in batch], [p[1] for p in batch])
        points.extend(p for p, ok in zip(batch, inside, strict=True) if ok)
    if len(points) < count:
        # A sliver that random draws keep missing: fall back to its inside point.
        points.extend([inside_point(geom)] * (count - len(points)))
    return points[:count]
