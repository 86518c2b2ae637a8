"""Small boundary files for tests, and the real Moscow files when they are there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.places.factories import square


def moscow_dir() -> Path:
    """The shared Moscow boundaries; the test is skipped when they are not on this machine."""
    path = Path(settings.SHARED_DATA_DIR) / "moscow"
    if not (path / "districts.geojson").exists():
        pytest.skip(f"the shared Moscow boundaries are not in {path}")
    return path


def district_props(n: int, **override: Any) -> dict[str, Any]:
    return {
        "NAME": f"Район {n}",
        "OKATO": f"4510{n:04d}",
        "OKTMO": f"4530{n:04d}",
        "NAME_AO": "Округ",
        "OKATO_AO": "45100000",
        "ABBREV_AO": "ОК",
        "TYPE_MO": "Муниципальный округ",
    } | override


def write_city(
    folder: Path, districts: list[dict[str, Any]], geometries: list[Any] | None = None
) -> Path:
    """okrugs.geojson (one okrug) and districts.geojson beside it; the districts path."""
    okrugs = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"NAME": "Округ", "OKATO": "45100000", "ABBREV": "ОК"},
                "geometry": square(37.0, 55.5, 0.5),
            }
        ],
    }
    geometries = geometries or [square(37.0 + 0.01 * i, 55.5, 0.01) for i in range(len(districts))]
    features = [
        {"type": "Feature", "properties": props, "geometry": geometry}
        for props, geometry in zip(districts, geometries, strict=True)
    ]
    (folder / "okrugs.geojson").write_text(json.dumps(okrugs), encoding="utf-8")
    path = folder / "districts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path
