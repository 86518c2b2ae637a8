"""Device secrets: random, shown once, kept as a SHA-256 digest and a broker password hash.

Pure: no Django import. A device secret is its device's id and 32 random bytes, so it can
be sent alone as a bearer token; being random, a fast digest is enough to
check it (there is nothing to guess); Mosquitto wants its own salted PBKDF2-SHA512 form
(``$7$<iterations>$<salt>$<hash>``, base64), computed once while the secret is known.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

MOSQUITTO_ITERATIONS = 101
MOSQUITTO_SALT_BYTES = 12


def secret_new(device_id: str) -> str:
    """``<device id>.<43 random URL-safe characters>``: a bearer token that names its device."""
    return f"{device_id}.{secrets.token_urlsafe(32)}"


def secret_device_id(secret: str) -> str:
    """The device a secret names ('' if it names none); the random part has no dot."""
    device_id, dot, _random = secret.rpartition(".")
    return device_id if dot else ""


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(secret_hash(secret), digest)


def mosquitto_hash(
    secret: str, *, iterations: int = MOSQUITTO_ITERATIONS, salt: bytes | None = None
) -> str:
    """The password-file form ``mosquitto_passwd`` writes for ``-H sha512-pbkdf2``."""
    salt = secrets.token_bytes(MOSQUITTO_SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", secret.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
