"""Device secrets: random, shown once, kept as a SHA-256 digest and a broker password hash.

Pure: no Django import. A device secret is 32 random bytes, so a fast digest is enough to
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


def secret_new() -> str:
    return secrets.token_urlsafe(32)


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
