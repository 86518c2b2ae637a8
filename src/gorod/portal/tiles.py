"""Service tiles: one per page a city service offers, gathered from every installed app.

An app declares its tiles as class attributes of its AppConfig: ``citizen_tiles`` (the
cabinet), ``public_tiles`` (the home page) and ``official_tiles`` (an official's desk),
lists of ``{"title", "url_name", "description"}``; an official tile may also name the
``"roles"`` that see it (a superuser sees them all). A tile whose URL does not resolve
is left out, so a capability that is not built is absent, never a dead link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from django.apps import AppConfig, apps
from django.urls import NoReverseMatch, reverse

Audience = Literal["citizen", "public", "official"]


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


def _for_role(spec: Mapping[str, object], role: str | None) -> bool:
    roles = spec.get("roles")
    if roles is None or role == "*":
        return True
    return isinstance(roles, Iterable) and role in roles


def tiles_for(audience: Audience, *, role: str | None = None) -> list[Tile]:
    """The tiles for ``audience`` whose pages exist, titles in the active language.

    ``role`` keeps the official tiles meant for that role; ``"*"`` keeps them all.
    """
    found: list[Tile] = []
    for config in _configs_portal_first():
        specs = getattr(config, f"{audience}_tiles", ())
        found.extend(_resolved(spec for spec in specs if _for_role(spec, role)))
    return found
