"""The registry behind "export all my data": every domain contributes its part.

A domain contributes by a module ``gorod/<app>/exports.py`` that calls
``register_exporter(name, fn)`` when imported; ``discover()`` imports that module of every
installed app (as the admin does with ``admin.py``) and runs once at start-up, from
``PrivacyConfig.ready``. ``fn(citizen)`` returns what the domain holds about that citizen
as JSON-ready data and becomes ``<name>.json`` in the citizen's folder of the archive.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable, Sequence
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.module_loading import autodiscover_modules

from gorod.people.models import Citizen

Exporter = Callable[[Citizen], dict[str, Any] | list[Any]]

_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
# Filled by import side effects only, identically in every process.
_exporters: dict[str, Exporter] = {}


def register_exporter(name: str, fn: Exporter) -> None:
    """Add ``fn`` as the exporter ``name`` (dotted lowercase: ``people.profile``)."""
    if not _NAME.match(name):
        raise ValueError(f"exporter name {name!r} must be dotted lowercase words")
    known = _exporters.get(name)
    if known is not None and known is not fn:
        raise ValueError(f"an exporter named {name!r} is already registered")
    _exporters[name] = fn


def discover() -> None:
    autodiscover_modules("exports")


def exporters() -> dict[str, Exporter]:
    """Every registered exporter, by name, in name order."""
    return dict(sorted(_exporters.items()))


def _json(data: Any) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def write_archive(
    subjects: Sequence[tuple[str, Citizen]], out: IO[bytes], manifest: dict[str, Any]
) -> list[str]:
    """Write one folder of JSON files per (folder, citizen) into the ZIP ``out``.

    Each file is encoded and written on its own, so memory holds one domain's part at a
    time; ``manifest.json`` comes last and lists them. Returns the names of the files.
    """
    names: list[str] = []
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for folder, citizen in subjects:
            for name, fn in exporters().items():
                path = f"{folder}/{name}.json"
                archive.writestr(path, _json(fn(citizen)))
                names.append(path)
        archive.writestr("manifest.json", _json({**manifest, "files": names}))
    return names
