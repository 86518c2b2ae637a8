"""Start-up checks: production refuses to run without a pseudonym key."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register
from django.core.exceptions import ImproperlyConfigured

from gorod.privacy.keys import pseudonym_master_key


@register()
def pseudonym_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        pseudonym_master_key()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="privacy.E001")]
    return []
