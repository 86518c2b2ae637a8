"""``gorod places import-boundaries PATH [--okrugs PATH]``: okrugs and districts from GeoJSON."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError
from gorod.places.services import boundaries_import_files


class Command(BaseCommand):
    help = "Places of the city: import okrug and district boundaries from GeoJSON files."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, parser_class=ArgumentParser)
        importing = actions.add_parser(
            "import-boundaries",
            help="create or update okrugs and districts by OKATO (run again: nothing changes)",
        )
        importing.add_argument(
            "path", type=Path, help="districts GeoJSON (NAME, OKATO, OKTMO, OKATO_AO, TYPE_MO)"
        )
        importing.add_argument(
            "--okrugs",
            type=Path,
            default=None,
            help="okrugs GeoJSON (NAME, OKATO, ABBREV); default: okrugs.geojson beside PATH",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = boundaries_import_files(
                districts_path=options["path"], okrugs_path=options["okrugs"]
            )
        except ApplicationError as exc:
            raise CommandError(exc.message, returncode=2) from exc
        self.stdout.write(
            _("Okrugs: %(oc)s created, %(ou)s updated. Districts: %(dc)s created, %(du)s updated.")
            % {
                "oc": summary.okrugs_created,
                "ou": summary.okrugs_updated,
                "dc": summary.districts_created,
                "du": summary.districts_updated,
            }
        )
