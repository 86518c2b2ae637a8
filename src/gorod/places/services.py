"""Writes for places: importing okrug and district boundaries, and seeding the demo city."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError
from gorod.people.models import Citizen, Guardianship
from gorod.places import boundaries, synth
from gorod.places.boundaries import BoundaryError, DistrictArea, OkrugArea
from gorod.places.geo import GeometryError, polygon_from_geojson
from gorod.places.models import Apartment, Building, District, Institution, Okrug

BATCH = 2000
MAX_CITIZENS = 2_000_000
Progress = Callable[[str], Any]


@dataclass(frozen=True)
class ImportSummary:
    okrugs_created: int
    okrugs_updated: int
    districts_created: int
    districts_updated: int


def _boundary_message(exc: BoundaryError, path: Path) -> str:
    where = _("%(file)s, feature %(index)s (%(name)s)") % {
        "file": path.name,
        "index": exc.index,
        "name": exc.name or "?",
    }
    messages = {
        "collection": _("%(file)s is not a GeoJSON FeatureCollection with features."),
        "missing": _("%(where)s: the property %(prop)s is missing or empty."),
        "not_digits": _("%(where)s: the property %(prop)s must be a code of digits."),
        "unknown_kind": _(
            "%(where)s: the property %(prop)s must be Муниципальный округ, Поселение "
            "or Городской округ."
        ),
        "duplicate": _("%(where)s: the %(prop)s code appears in two features."),
        "unknown_okrug": _("%(where)s: the property %(prop)s names no okrug of the okrugs file."),
        "geometry": _("%(where)s: the geometry is not a usable polygon (%(detail)s)."),
    }
    return messages[exc.problem] % {
        "file": path.name,
        "where": where,
        "prop": exc.prop,
        "detail": exc.detail,
    }


def _collection(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise ApplicationError(
            _("Cannot read %(file)s: %(reason)s.") % {"file": path, "reason": exc.strerror},
            field="path",
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApplicationError(
            _("%(file)s is not JSON: %(reason)s.") % {"file": path, "reason": exc},
            field="path",
        ) from exc


def boundaries_read(
    *, districts_path: Path, okrugs_path: Path | None = None
) -> tuple[list[OkrugArea], list[DistrictArea]]:
    """Read and check both files; the okrugs file defaults to ``okrugs.geojson`` beside."""
    okrugs_path = okrugs_path or districts_path.with_name("okrugs.geojson")
    try:
        okrugs = boundaries.okrugs_read(_collection(okrugs_path))
    except BoundaryError as exc:
        raise ApplicationError(_boundary_message(exc, okrugs_path), field=exc.prop) from exc
    try:
        districts = boundaries.districts_read(_collection(districts_path), okrugs)
    except BoundaryError as exc:
        raise ApplicationError(_boundary_message(exc, districts_path), field=exc.prop) from exc
    return okrugs, districts


def _area_fields(area: boundaries.Area) -> dict[str, Any]:
    return {
        "name": area.name,
        "boundary": area.geometry,
        "min_lon": area.box.min_lon,
        "min_lat": area.box.min_lat,
        "max_lon": area.box.max_lon,
        "max_lat": area.box.max_lat,
        "centroid_lon": area.inside[0],
        "centroid_lat": area.inside[1],
    }


@transaction.atomic
def boundaries_import(*, okrugs: list[OkrugArea], districts: list[DistrictArea]) -> ImportSummary:
    """Create or update okrugs and districts by OKATO; run again, nothing changes."""
    okrug_by_okato: dict[str, Okrug] = {}
    created = {"okrugs": 0, "districts": 0}
    for okrug_area in okrugs:
        okrug, new = Okrug.objects.update_or_create(
            okato=okrug_area.okato,
            defaults=_area_fields(okrug_area) | {"abbrev": okrug_area.abbrev},
        )
        okrug_by_okato[okrug_area.okato] = okrug
        created["okrugs"] += new
    for area in districts:
        _, new = District.objects.update_or_create(
            okato=area.okato,
            defaults=_area_fields(area)
            | {"oktmo": area.oktmo, "kind": area.kind, "okrug": okrug_by_okato[area.okrug_okato]},
        )
        created["districts"] += new
    return ImportSummary(
        okrugs_created=created["okrugs"],
        okrugs_updated=len(okrugs) - created["okrugs"],
        districts_created=created["districts"],
        districts_updated=len(districts) - created["districts"],
    )


def boundaries_import_files(
    *, districts_path: Path, okrugs_path: Path | None = None
) -> ImportSummary:
    okrugs, districts = boundaries_read(districts_path=districts_path, okrugs_path=okrugs_path)
    return boundaries_import(okrugs=okrugs, districts=districts)


@dataclass(frozen=True)
class SeedSummary:
    seeded: bool
    districts: int
    buildings: int
    apartments: int
    citizens: int
    guardianships: int
    institutions: int
    seconds: float


def _summary(*, seeded: bool, started: float) -> SeedSummary:
    return SeedSummary(
        seeded=seeded,
        districts=District.objects.count(),
        buildings=Building.objects.count(),
        apartments=Apartment.objects.count(),
        citizens=Citizen.objects.count(),
        guardianships=Guardianship.objects.count(),
        institutions=Institution.objects.count(),
        seconds=round(time.perf_counter() - started, 2),
    )


def _ensure_districts(*, boundaries_path: Path | None, read_files: bool, say: Progress) -> None:
    if boundaries_path is not None:
        say(_("Importing boundaries from %(path)s") % {"path": boundaries_path})
        boundaries_import_files(districts_path=boundaries_path)
        return
    if District.objects.exists():
        return
    shared = Path(settings.SHARED_DATA_DIR) / "moscow" / "districts.geojson"
    if read_files and shared.exists():
        say(_("Importing the Moscow districts from %(path)s") % {"path": shared})
        boundaries_import_files(districts_path=shared)
        return
    say(_("No boundary files: generating a city of synthetic districts"))
    okrug_fc, district_fc = boundaries.generated_city()
    okrugs = boundaries.okrugs_read(okrug_fc)
    boundaries_import(okrugs=okrugs, districts=boundaries.districts_read(district_fc, okrugs))


def _sites() -> list[synth.DistrictSite]:
    sites = []
    for district in District.objects.select_related("okrug").order_by("okato"):
        try:
            geometry = polygon_from_geojson(district.boundary)
        except GeometryError:
            continue  # a district without a boundary gets no demo buildings
        sites.append(
            synth.DistrictSite(
                district.pk, district.name, district.kind, district.okrug.abbrev, geometry
            )
        )
    return sites


def _write(plan: synth.CityPlan, say: Progress) -> None:
    """Bulk inserts; the plan's records carry exactly the models' field names."""
    buildings = Building.objects.bulk_create(
        [
            Building(**{k: v for k, v in vars(b).items() if k != "apartments"})
            for b in plan.buildings
        ],
        batch_size=BATCH,
    )
    say(_("%(count)s buildings written") % {"count": len(buildings)})
    first_apartment: list[int] = []
    rows: list[Apartment] = []
    for building, planned in zip(buildings, plan.buildings, strict=True):
        first_apartment.append(len(rows))
        rows += [Apartment(building_id=building.pk, **vars(a)) for a in planned.apartments]
    apartments = Apartment.objects.bulk_create(rows, batch_size=BATCH)
    say(_("%(count)s apartments written") % {"count": len(apartments)})
    people: list[Citizen] = []
    for household in plan.households:
        home = apartments[first_apartment[household.building] + household.apartment]
        people += [Citizen(apartment_id=home.pk, **vars(p)) for p in household.members]
    citizens = Citizen.objects.bulk_create(people, batch_size=BATCH)
    say(_("%(count)s citizens written") % {"count": len(citizens)})
    links: list[Guardianship] = []
    start = 0
    for household in plan.households:
        links += [
            Guardianship(guardian_id=citizens[start + p].pk, child_id=citizens[start + c].pk)
            for p in household.parents
            for c in household.children
        ]
        start += len(household.members)
    Guardianship.objects.bulk_create(links, batch_size=BATCH)
    Institution.objects.bulk_create(
        [
            Institution(
                kind=i.kind,
                name=i.name,
                short_name=i.short_name,
                district_id=i.district,
                building_id=buildings[i.building].pk,
                address=plan.buildings[i.building].address,
                lon=plan.buildings[i.building].lon,
                lat=plan.buildings[i.building].lat,
                opening_hours=i.opening_hours,
            )
            for i in plan.institutions
        ],
        batch_size=BATCH,
    )
    say(_("%(count)s institutions written") % {"count": len(plan.institutions)})


def city_seed(
    *,
    citizens: int,
    seed: int,
    boundaries_path: Path | None = None,
    read_files: bool = True,
    progress: Progress = lambda _: None,
) -> SeedSummary:
    """Build the demo city: districts (real or generated), buildings, residents, institutions.

    A city that already has buildings is left as it is (``seeded`` is False): seeding is for
    an empty database, and the same seed always builds the same city.
    """
    started = time.perf_counter()
    if not 0 <= citizens <= MAX_CITIZENS:
        raise ApplicationError(
            _("The number of citizens must be between 0 and %(max)s.") % {"max": MAX_CITIZENS},
            field="citizens",
        )
    if Building.objects.exists():
        progress(_("The city already has buildings: nothing to seed"))
        return _summary(seeded=False, started=started)
    with transaction.atomic():
        _ensure_districts(boundaries_path=boundaries_path, read_files=read_files, say=progress)
        sites = _sites()
        if not sites:
            raise ApplicationError(_("No district has a boundary to build in."), field="boundaries")
        taken = set(Citizen.objects.values_list("snils", flat=True))
        plan = synth.city_plan(sites=sites, citizens=citizens, seed=seed, taken_snils=taken)
        progress(
            _(
                "Planned %(citizens)s residents in %(households)s households, "
                "%(buildings)s buildings"
            )
            % {
                "citizens": plan.citizens,
                "households": len(plan.households),
                "buildings": len(plan.buildings),
            }
        )
        _write(plan, progress)
    return _summary(seeded=True, started=started)


def bench_office(*, kind: str, name: str, **fields: Any) -> Institution:
    """An office in an okrug and district of its own: what a benchmark's empty database
    needs to book and queue at."""
    okrug = Okrug.objects.create(name="Бенчмарк", okato="99000000", abbrev="БО")
    district = District.objects.create(name="Бенчмарк", okato="99100000", okrug=okrug)
    return Institution.objects.create(
        kind=kind,
        name=name,
        district=district,
        address="Москва, бенчмарк",
        lat=55.75,
        lon=37.62,
        **fields,
    )
