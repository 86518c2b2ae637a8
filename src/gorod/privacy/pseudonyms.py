"""Keyed pseudonyms for analytics: HMAC-SHA256 under a per-domain key.

Pure: no Django. Each analytics domain ("health", "utilities", ...) gets its own key,
derived from one master key with HKDF, so the same person has unrelated tokens in two
domains: joining two domains' tables needs the master key, which is kept apart from the
data (a file outside the database, or the environment). Rotating the master key changes
every token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
ENV_VAR = "GOROD_PSEUDONYM_KEY"
_INFO_PREFIX = b"gorod pseudonym v1 domain "


class KeyMissing(Exception):
    """No master key where one is required."""


def domain_key(master_key: bytes, domain: str) -> bytes:
    """The per-domain key: HKDF-SHA256 of the master key, bound to the domain's name."""
    if len(master_key) < KEY_BYTES:
        raise ValueError(f"the master key must be at least {KEY_BYTES} bytes")
    if not domain:
        raise ValueError("the domain must not be empty")
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=_INFO_PREFIX + domain.encode(),
    ).derive(master_key)


def _token(key: bytes, identifier: str) -> str:
    return hmac.new(key, identifier.encode(), hashlib.sha256).hexdigest()


def pseudonym(domain: str, identifier: str, key: bytes) -> str:
    """The token of ``identifier`` in ``domain`` under the master ``key``: 64 hex digits."""
    return _token(domain_key(key, domain), identifier)


def pseudonymiser(domain: str, key: bytes) -> Callable[[str], str]:
    """``pseudonym`` for many identifiers of one domain, deriving the domain key once."""
    derived = domain_key(key, domain)
    return lambda identifier: _token(derived, identifier)


def parse_key(text: str) -> bytes:
    """A master key written as hexadecimal (at least 64 digits)."""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError as exc:
        raise ValueError("the pseudonym key must be written in hexadecimal") from exc
    if len(key) < KEY_BYTES:
        raise ValueError(f"the pseudonym key must be at least {KEY_BYTES} bytes")
    return key


def load_master_key(*, key_file: Path, environ: Mapping[str, str], may_generate: bool) -> bytes:
    """The master key from the environment, else from ``key_file``.

    When neither has one and ``may_generate`` (demo and test profiles), a new random key is
    written to ``key_file`` readable by its owner only; otherwise ``KeyMissing``.
    """
    if text := environ.get(ENV_VAR, ""):
        return parse_key(text)
    if key_file.exists():
        return parse_key(key_file.read_text())
    if not may_generate:
        raise KeyMissing(
            f"No pseudonym key: set {ENV_VAR} (hexadecimal) or write one to {key_file}."
        )
    key = secrets.token_bytes(KEY_BYTES)
    key_file.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a private name, then linked into place: a process starting at the
    # same moment either wins the link or reads the complete key the other one wrote.
    draft = key_file.with_name(f".{key_file.name}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(key.hex() + "\n")
    try:
        os.link(draft, key_file)
    except FileExistsError:
        return parse_key(key_file.read_text())
    finally:
        draft.unlink()
    return key
