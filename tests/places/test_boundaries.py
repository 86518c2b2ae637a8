"""Reading boundary collections and the generated city (pure, no database)."""

from __future__ import annotations

from typing import Any

import pytest

from gorod.places import boundaries
from gorod.places.boundaries import BoundaryError
from tests.places.factories import square


def okrug_collection(**override: str) -> dict[str, Any]:
    props = {"NAME": "Округ", "OKATO": "45100000", "ABBREV": "ОК"} | override
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": props, "geometry": square(37, 55, 1)}],
    }


def test_an_okrug_is_read_with_its_box_and_an_inside_point():
    (okrug,) = boundaries.okrugs_read(okrug_collection())
    assert (okrug.name, okrug.okato, okrug.abbrev) == ("Округ", "45100000", "ОК")
    assert (okrug.box.min_lon, okrug.box.max_lat) == (37, 56)
    assert okrug.box.holds(*okrug.inside)


def test_a_missing_property_names_the_feature_and_the_property():
    with pytest.raises(BoundaryError) as caught:
        boundaries.okrugs_read(okrug_collection(OKATO=""))
    assert (caught.value.index, caught.value.name, caught.value.prop) == (1, "Округ", "OKATO")
    assert caught.value.problem == "missing"


def test_the_generated_city_reads_like_the_moscow_files():
    okrug_fc, district_fc = boundaries.generated_city()
    okrugs = boundaries.okrugs_read(okrug_fc)
    districts = boundaries.districts_read(district_fc, okrugs)
    assert len(okrugs) == 4
    assert len(districts) == 36
    assert all(d.name.startswith("Сгенерированный район") for d in districts)
    assert all(o.name.startswith("Сгенерированный округ") for o in okrugs)
