"""The pseudonym key from settings: generated in demo and test, required in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django import Settings

from gorod.privacy.checks import pseudonym_key_check
from gorod.privacy.keys import analytics_pseudonymiser, pseudonym_master_key
from gorod.privacy.pseudonyms import ENV_VAR, pseudonym


@pytest.fixture
def key_file(tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(ENV_VAR, raising=False)
    path = tmp_path / "pseudonym.key"
    settings.PSEUDONYM_KEY_FILE = path
    return path


def test_production_without_a_key_is_improperly_configured(
    key_file: Path, settings: Settings
) -> None:
    settings.PROFILE = "production"
    with pytest.raises(ImproperlyConfigured, match=ENV_VAR):
        pseudonym_master_key()
    assert not key_file.exists()


def test_production_reports_a_missing_key_at_start_up(key_file: Path, settings: Settings) -> None:
    settings.PROFILE = "production"
    [error] = pseudonym_key_check()
    assert error.id == "privacy.E001"


def test_production_takes_the_key_from_the_environment(
    key_file: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PROFILE = "production"
    monkeypatch.setenv(ENV_VAR, "ab" * 32)
    assert pseudonym_master_key() == bytes.fromhex("ab" * 32)
    assert pseudonym_key_check() == []


def test_the_test_profile_generates_a_key_file_apart_from_the_database(key_file: Path) -> None:
    key = pseudonym_master_key()
    assert key_file.read_text().strip() == key.hex()


def test_a_malformed_key_is_improperly_configured(
    key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "xyz")
    with pytest.raises(ImproperlyConfigured, match="hexadecimal"):
        pseudonym_master_key()


def test_the_analytics_pseudonymiser_uses_the_configured_key(key_file: Path) -> None:
    tokens = analytics_pseudonymiser("health")
    assert tokens("11223344595") == pseudonym("health", "11223344595", pseudonym_master_key())
