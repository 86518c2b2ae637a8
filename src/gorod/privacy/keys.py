"""The pseudonym master key from settings: generated in demo and test, required in production."""

from __future__ import annotations

import os
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from gorod.privacy.pseudonyms import KeyMissing, load_master_key, pseudonymiser


def pseudonym_master_key() -> bytes:
    try:
        return load_master_key(
            key_file=settings.PSEUDONYM_KEY_FILE,
            environ=os.environ,
            may_generate=settings.PROFILE != "production",
        )
    except (KeyMissing, ValueError) as exc:
        raise ImproperlyConfigured(str(exc)) from exc


def analytics_pseudonymiser(domain: str) -> Callable[[str], str]:
    """Tokens for one analytics domain under the configured master key."""
    return pseudonymiser(domain, pseudonym_master_key())
