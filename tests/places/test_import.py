"""``gorod places import-boundaries``: the real files, idempotence, and bad files."""

from __future__ import annotations

import json
from io import StringIO

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.utils import translation
from shapely.geometry import shape

from gorod.places.models import District, Okrug
from tests.places.helpers import district_props, moscow_dir, write_city

pytestmark = pytest.mark.django_db


def import_boundaries(*args: str) -> str:
    out = StringIO()
    call_command("places", "import-boundaries", *args, stdout=out)
    return out.getvalue()


def test_the_moscow_files_give_12_okrugs_and_146_districts():
    import_boundaries(str(moscow_dir() / "districts.geojson"))
    assert Okrug.objects.count() == 12
    assert District.objects.count() == 146
    tverskoy = District.objects.get(name="Тверской")
    assert tverskoy.okrug.abbrev == "ЦАО"
    assert tverskoy.kind == District.Kind.DISTRICT
    assert District.objects.filter(kind=District.Kind.SETTLEMENT).count() == 19


def test_every_imported_centroid_lies_inside_its_district():
    import_boundaries(str(moscow_dir() / "districts.geojson"))
    for district in District.objects.all():
        point = shapely.Point(district.centroid_lon, district.centroid_lat)
        assert shape(district.boundary).contains(point), district.name


def test_importing_twice_keeps_the_same_rows():
    path = str(moscow_dir() / "districts.geojson")
    import_boundaries(path)
    before = list(District.objects.order_by("pk").values_list("pk", "okato", "name"))
    with translation.override("en"):
        out = import_boundaries(path, "--okrugs", str(moscow_dir() / "okrugs.geojson"))
    assert list(District.objects.order_by("pk").values_list("pk", "okato", "name")) == before
    assert "Districts: 0 created, 146 updated" in out


def test_a_district_file_is_imported_with_the_okrugs_file_beside_it(tmp_path):
    path = write_city(tmp_path, [district_props(1), district_props(2)])
    import_boundaries(str(path))
    assert sorted(District.objects.values_list("name", flat=True)) == ["Район 1", "Район 2"]
    district = District.objects.get(name="Район 1")
    assert (district.min_lon, district.max_lon) == pytest.approx((37.0, 37.01))


BAD_CASES = {
    "missing OKATO": ([district_props(1), district_props(2, OKATO=None)], None, "OKATO"),
    "letters in OKTMO": ([district_props(1), district_props(2, OKTMO="45abc")], None, "OKTMO"),
    "unknown TYPE_MO": ([district_props(1), district_props(2, TYPE_MO="Город")], None, "TYPE_MO"),
    "unknown okrug": (
        [district_props(1), district_props(2, OKATO_AO="45999000")], None, "OKATO_AO"
    ),
    "duplicate OKATO": ([district_props(1), district_props(2, OKATO="45100001")], None, "OKATO"),
    "a point for a polygon": (
        [district_props(1), district_props(2)],
        [{"type": "Polygon", "coordinates": [[[37, 55], [37.1, 55], [37.1, 55.1], [37, 55]]]},
         {"type": "Point", "coordinates": [37, 55]}],
        "geometry",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", BAD_CASES, ids=list(BAD_CASES))
def test_a_bad_feature_exits_2_naming_it_and_changes_nothing(tmp_path, case):
    good = tmp_path / "good"
    good.mkdir()
    import_boundaries(str(write_city(good, [district_props(1)])))
    props, geometries, prop = BAD_CASES[case]
    props = [p | {"NAME": f"Новое имя {i}"} for i, p in enumerate(props)]
    path = write_city(tmp_path, props, geometries)
    with pytest.raises(CommandError) as caught, translation.override("en"):
        import_boundaries(str(path))
    assert caught.value.returncode == 2
    assert "districts.geojson, feature 2 (Новое имя 1)" in str(caught.value)
    assert prop in str(caught.value)
    assert list(District.objects.values_list("name", flat=True)) == ["Район 1"]


@pytest.mark.parametrize(
    "content", ["{not json", json.dumps({"type": "Feature"}), json.dumps([1, 2])]
)
def test_a_file_that_is_not_a_feature_collection_exits_2(tmp_path, content):
    path = write_city(tmp_path, [district_props(1)])
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        import_boundaries(str(path))
    assert caught.value.returncode == 2
    assert "districts.geojson" in str(caught.value)
    assert not District.objects.exists()


def test_a_missing_okrugs_file_exits_2_naming_it(tmp_path):
    path = write_city(tmp_path, [district_props(1)])
    (tmp_path / "okrugs.geojson").unlink()
    with pytest.raises(CommandError) as caught:
        import_boundaries(str(path))
    assert caught.value.returncode == 2
    assert "okrugs.geojson" in str(caught.value)
    assert not Okrug.objects.exists()
