"""The pure geometry module: repair, lookup and sampling, without Django."""

from __future__ import annotations

import random

import pytest
import shapely

from gorod.places.geo import (
    GeometryError,
    Locator,
    first_containing,
    inside_point,
    polygon_from_geojson,
    sample_points,
)
from tests.places.factories import square

BOW_TIE = {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]}
CRESCENT = {
    "type": "Polygon",
    "coordinates": [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 3], [3, 3], [3, 1], [0, 1], [0, 0]]],
}


def test_a_self_intersecting_polygon_is_repaired_into_a_valid_one():
    geom = polygon_from_geojson(BOW_TIE)
    assert geom.is_valid
    assert geom.area == pytest.approx(2.0)


@pytest.mark.parametrize(
    "geometry",
    [
        None,
        {"type": "Point", "coordinates": [37.6, 55.7]},
        {"type": "Polygon", "coordinates": "nonsense"},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
    ],
)
def test_anything_but_a_polygon_with_area_is_refused(geometry):
    with pytest.raises(GeometryError):
        polygon_from_geojson(geometry)


def test_the_inside_point_of_a_crescent_lies_inside_it_unlike_its_centroid():
    geom = polygon_from_geojson(CRESCENT)
    assert not geom.contains(geom.centroid)
    assert geom.contains(shapely.Point(*inside_point(geom)))


def test_the_locator_finds_the_area_holding_a_point_and_none_outside():
    locator = Locator(
        [("a", polygon_from_geojson(square(0, 0, 1))), ("b", polygon_from_geojson(square(1, 0, 1)))]
    )
    assert locator.locate(0.5, 0.5) == "a"
    assert locator.locate(1.5, 0.5) == "b"
    assert locator.locate(5, 5) is None


def test_a_point_on_a_shared_border_belongs_to_the_first_candidate():
    candidates = [("a", square(0, 0, 1)), ("b", square(1, 0, 1))]
    assert first_containing(candidates, 1.0, 0.5) == "a"
    assert first_containing(list(reversed(candidates)), 1.0, 0.5) == "b"


def test_sampled_points_lie_inside_the_polygon_and_repeat_with_the_seed():
    geom = polygon_from_geojson(CRESCENT)
    points = sample_points(geom, 200, random.Random(7))
    assert len(points) == 200
    assert all(geom.contains(shapely.Point(p)) for p in points)
    assert sample_points(geom, 200, random.Random(7)) == points
