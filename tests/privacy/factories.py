"""Factories for privacy: further consent texts (version 1 of each purpose comes from a
migration) and budgets. Plain typed functions: each creates one row with sensible values."""

from __future__ import annotations

import base64
import secrets
from decimal import Decimal
from typing import Any

from django.utils import timezone

from gorod.privacy.models import ConsentText, PrivacyBudget
from gorod.privacy.purposes import PURPOSES


def consent_text_publish(
    *, purpose: str = "research.health", version: int, **extra: Any
) -> ConsentText:
    """A further published version of a purpose's text."""
    values: dict[str, Any] = {
        "text_ru": f"Текст согласия, версия {version}.",
        "text_en": f"Consent text, version {version}.",
        "published_at": timezone.now(),
        **extra,
    }
    return ConsentText.objects.create(purpose=purpose, version=version, **values)


def first_texts_publish() -> None:
    """Version 1 of every purpose, as the migration publishes it; for transactional tests,
    which start from an emptied database."""
    for purpose in PURPOSES:
        if not ConsentText.objects.filter(purpose=purpose, version=1).exists():
            consent_text_publish(purpose=purpose, version=1)


def budget_create(
    *,
    dataset: str = "residents_by_district",
    total_epsilon: Decimal = Decimal(1),
    total_delta: Decimal = Decimal("0.000001"),
) -> PrivacyBudget:
    return PrivacyBudget.objects.create(
        dataset=dataset, total_epsilon=total_epsilon, total_delta=total_delta
    )


def ledger_key_throwaway(settings: Any) -> None:
    """Sign the log's tree heads with a fresh key for this test, never one under var/."""
    settings.LEDGER_KEY = base64.b64encode(secrets.token_bytes(32)).decode()
