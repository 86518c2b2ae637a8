"""Signed tree heads: the exact bytes that are signed, and Ed25519 signing (pure, no Django).

The signed message is 60 bytes::

    b"gorod-sth-v1"              12 ASCII bytes, so a head signature is never valid elsewhere
    tree_size                     8 bytes, unsigned big-endian
    timestamp                     8 bytes, unsigned big-endian, milliseconds since 1970-01-01 UTC
    root_hash                    32 bytes, the RFC 9162 root of the first tree_size entries

and the signature is the 64-byte Ed25519 signature of it. The key id is the hex SHA-256 of
the 32-byte raw public key.
"""

from __future__ import annotations

import hashlib
import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

PREFIX = b"gorod-sth-v1"
_HEAD = struct.Struct(">QQ")
ROOT_SIZE = 32


def head_message(tree_size: int, timestamp_ms: int, root_hash: bytes) -> bytes:
    if len(root_hash) != ROOT_SIZE:
        raise ValueError("a root hash has 32 bytes")
    return PREFIX + _HEAD.pack(tree_size, timestamp_ms) + root_hash


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(raw_public_key(key)).hexdigest()


def head_sign(key: Ed25519PrivateKey, tree_size: int, timestamp_ms: int, root_hash: bytes) -> bytes:
    return key.sign(head_message(tree_size, timestamp_ms, root_hash))


def head_signature_valid(
    key: Ed25519PublicKey, tree_size: int, timestamp_ms: int, root_hash: bytes, signature: bytes
) -> bool:
    """True when ``signature`` signs this head under ``key``; False for anything malformed."""
    try:
        key.verify(signature, head_message(tree_size, timestamp_ms, root_hash))
    except (InvalidSignature, ValueError, struct.error):
        return False
    return True
