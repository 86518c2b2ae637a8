"""Keyed pseudonyms: deterministic per domain, unlinkable across domains without the key."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from gorod.privacy.pseudonyms import (
    ENV_VAR,
    KeyMissing,
    domain_key,
    load_master_key,
    parse_key,
    pseudonym,
    pseudonymiser,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
SNILS = "11223344595"


def test_the_same_identifier_gets_the_same_token_in_a_domain() -> None:
    assert pseudonym("health", SNILS, KEY) == pseudonym("health", SNILS, KEY)


def test_two_identifiers_get_different_tokens() -> None:
    assert pseudonym("health", SNILS, KEY) != pseudonym("health", "11223344596", KEY)


def test_the_same_identifier_gets_unrelated_tokens_in_two_domains() -> None:
    health = pseudonym("health", SNILS, KEY)
    utilities = pseudonym("utilities", SNILS, KEY)
    assert health != utilities
    # Not even a shared prefix or suffix that would let two tables be joined.
    assert health[:8] != utilities[:8]
    assert health[-8:] != utilities[-8:]


def test_a_token_holds_nothing_of_the_identifier() -> None:
    token = pseudonym("health", SNILS, KEY)
    assert SNILS not in token
    assert SNILS[:5] not in token
    assert len(token) == 64
    assert int(token, 16) >= 0


def test_a_token_is_not_a_plain_hash_of_the_identifier() -> None:
    assert pseudonym("health", SNILS, KEY) != hashlib.sha256(SNILS.encode()).hexdigest()


def test_domain_keys_differ_between_domains() -> None:
    assert domain_key(KEY, "health") != domain_key(KEY, "utilities")


def test_rotating_the_master_key_changes_every_token() -> None:
    before = [pseudonym("health", str(n), KEY) for n in range(100)]
    after = [pseudonym("health", str(n), OTHER_KEY) for n in range(100)]
    assert not set(before) & set(after)


def test_the_bulk_pseudonymiser_agrees_with_the_single_function() -> None:
    tokens = pseudonymiser("education", KEY)
    assert tokens(SNILS) == pseudonym("education", SNILS, KEY)


def test_a_short_master_key_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        pseudonym("health", SNILS, b"short")


def test_an_empty_domain_is_refused() -> None:
    with pytest.raises(ValueError, match="domain"):
        pseudonym("", SNILS, KEY)


def test_the_environment_key_wins_over_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(OTHER_KEY.hex())
    loaded = load_master_key(key_file=key_file, environ={ENV_VAR: KEY.hex()}, may_generate=False)
    assert loaded == KEY


def test_the_key_is_read_from_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(KEY.hex() + "\n")
    assert load_master_key(key_file=key_file, environ={}, may_generate=False) == KEY


def test_a_missing_key_is_an_error_when_it_may_not_be_generated(tmp_path: Path) -> None:
    key_file = tmp_path / "pseudonym.key"
    with pytest.raises(KeyMissing, match=ENV_VAR):
        load_master_key(key_file=key_file, environ={}, may_generate=False)
    assert not key_file.exists()


def test_a_generated_key_is_written_for_its_owner_only_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "pseudonym.key"
    first = load_master_key(key_file=key_file, environ={}, may_generate=True)
    assert len(first) == 32
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert load_master_key(key_file=key_file, environ={}, may_generate=True) == first
    assert [p.name for p in key_file.parent.iterdir()] == ["pseudonym.key"]


def test_a_key_that_is_not_hexadecimal_is_refused() -> None:
    with pytest.raises(ValueError, match="hexadecimal"):
        parse_key("not a key")
