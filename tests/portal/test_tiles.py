from __future__ import annotations

import pytest
from django.apps import apps
from django.urls import reverse

from gorod.portal.tiles import tiles_for


@pytest.fixture
def portal_config():
    return apps.get_app_config("portal")


def test_a_tile_whose_url_does_not_resolve_is_left_out(monkeypatch, portal_config):
    monkeypatch.setattr(
        portal_config,
        "citizen_tiles",
        [
            {"title": "Built", "url_name": "portal:my-home", "description": "here"},
            {"title": "Not built", "url_name": "nowhere:at-all", "description": "absent"},
        ],
    )

    titles = [tile.title for tile in tiles_for("citizen")]

    assert "Built" in titles
    assert "Not built" not in titles


def test_a_tile_carries_its_resolved_url_and_description(monkeypatch, portal_config):
    monkeypatch.setattr(
        portal_config,
        "public_tiles",
        [{"title": "Home", "url_name": "portal:home", "description": "The start"}],
        raising=False,
    )

    tile = next(tile for tile in tiles_for("public") if tile.title == "Home")

    assert tile.url == reverse("portal:home")
    assert tile.description == "The start"


def test_the_portal_own_tiles_come_before_other_apps(monkeypatch, portal_config):
    people = apps.get_app_config("people")
    monkeypatch.setattr(
        people,
        "citizen_tiles",
        [{"title": "Other", "url_name": "portal:home", "description": ""}],
        raising=False,
    )
    monkeypatch.setattr(
        portal_config,
        "citizen_tiles",
        [{"title": "Mine", "url_name": "portal:my-home", "description": ""}],
    )

    titles = [tile.title for tile in tiles_for("citizen")]

    assert titles.index("Mine") < titles.index("Other")


def test_an_app_without_tiles_contributes_none(monkeypatch, portal_config):
    monkeypatch.setattr(portal_config, "public_tiles", [], raising=False)
    for config in apps.get_app_configs():
        monkeypatch.setattr(config, "public_tiles", [], raising=False)

    assert tiles_for("public") == []
