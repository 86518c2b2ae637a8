"""The log's Ed25519 signing key: from GOROD_LEDGER_KEY or a PEM file.

In the demo and test profiles a missing file is generated (once, even when several
processes ask at the same moment); in production a missing key is a configuration error.
"""

from __future__ import annotations

import base64
import binascii
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

RAW_KEY_SIZE = 32


def _from_environment(value: str) -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ImproperlyConfigured("GOROD_LEDGER_KEY is not valid base64.") from exc
    if len(raw) != RAW_KEY_SIZE:
        raise ImproperlyConfigured(
            f"GOROD_LEDGER_KEY must be a raw Ed25519 private key of {RAW_KEY_SIZE} bytes, "
            f"not {len(raw)}."
        )
    return Ed25519PrivateKey.from_private_bytes(raw)


def _from_file(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            f"The ledger key file {path} is not a readable, unencrypted PEM key: {exc}"
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"The ledger key file {path} does not hold an Ed25519 key.")
    return key


def _generate(path: Path) -> None:
    """Write a new key to ``path`` unless another process got there first."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".ledger-key-")
    try:
        os.fchmod(descriptor, 0o600)
        os.write(descriptor, pem)
        os.close(descriptor)
        # A hard link appears whole and fails if the file exists: the first writer wins.
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def signing_key() -> Ed25519PrivateKey:
    if settings.LEDGER_KEY:
        return _from_environment(settings.LEDGER_KEY)
    path = Path(settings.LEDGER_KEY_FILE)
    if not path.exists():
        if settings.PROFILE == "production":
            raise ImproperlyConfigured(
                f"The transparency log has no signing key: set GOROD_LEDGER_KEY (a base64 raw "
                f"Ed25519 private key) or put a PEM key at {path} (GOROD_LEDGER_KEY_FILE)."
            )
        _generate(path)
    return _from_file(path)


def public_key() -> Ed25519PublicKey:
    return signing_key().public_key()


def public_key_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode("ascii")
