"""File responses shared by the pages and the API: the export archive and open-data tables."""

from __future__ import annotations

import csv
import tempfile
from typing import Protocol

from django.http import FileResponse, HttpResponse
from django.utils import timezone

from gorod.people.models import User
from gorod.privacy import selectors, services
from gorod.privacy.models import Release
from gorod.privacy.schemas import ReleaseOut


class Writable(Protocol):
    def write(self, text: str, /) -> object: ...


# Above this size the archive being built moves from memory to a temporary file.
EXPORT_SPOOL_BYTES = 8 * 1024 * 1024


def export_response(user: User) -> FileResponse:
    """The ZIP of everything held about the user's citizen record and their children."""
    citizen = selectors.citizen_for(user=user)
    archive = tempfile.SpooledTemporaryFile(max_size=EXPORT_SPOOL_BYTES)  # noqa: SIM115
    services.export_create(actor=user, citizen=citizen, out=archive)
    archive.seek(0)
    name = f"gorod-my-data-{timezone.localdate().isoformat()}.zip"
    return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")


def _file_name(release: Release, suffix: str) -> str:
    return f"gorod-{release.dataset}-{release.pk}.{suffix}"


def release_json_response(release: Release) -> HttpResponse:
    response = HttpResponse(release_json(release), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(release, "json")}"'
    return response


def release_json(release: Release) -> str:
    """A release as open data: how it was made, then its table."""
    return ReleaseOut.from_orm(release).model_dump_json(indent=2)


def write_release_csv(release: Release, out: Writable) -> None:
    writer = csv.writer(out)
    writer.writerow(release.table.get("columns", []))
    writer.writerows(release.table.get("rows", []))


def release_csv_response(release: Release) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(release, "csv")}"'
    write_release_csv(release, response)
    return response
