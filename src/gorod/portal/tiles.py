"""Service tiles: one per page a city service offers, gathered from every installed app.

An app declares its tiles as class attributes of its AppConfig: ``citizen_tiles`` (the
cabinet) and ``public_tiles`` (the home page), lists of ``{"title", "url_name",
"description"}``. A tile whose URL does not resolve is left out, so a capability that is
not built is absent, never a dead link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from django.apps import AppConfig, apps
from django.urls import NoReverseMatch, reverse

Audience = Literal["citizen", "public"]


@dataclass(frozen=True)
class Tile:
    title: str
    url: str
    description: str


def _configs_portal_first() -> list[AppConfig]:
    # The portal's own tiles (profile, home, children) open the cabinet; the city
    # services follow in the order of INSTALLED_APPS.
    configs = list(apps.get_app_configs())
    return sorted(configs, key=lambda config: config.label != "portal")


def _resolved(specs: Iterable[Mapping[str, object]]) -> list[Tile]:
    found = []
    for spec in specs:
        try:
            url = reverse(str(spec["url_name"]))
        except NoReverseMatch:
            continue
        found.append(
            Tile(title=str(spec["title"]), url=url, description=str(spec.get("description", "")))
        )
    return found


def tiles_for(audience: Audience) -> list[Tile]:
    """The tiles for ``audience`` whose pages exist, titles in the active language."""
    found: list[Tile] = []
    for config in _configs_portal_first():
        found.extend(_resolved(getattr(config, f"{audience}_tiles", ())))
    return found
