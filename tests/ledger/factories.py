"""Helpers that fill the log through its services, as the city's services do."""

from __future__ import annotations

import secrets
from typing import Any

from gorod.ledger import merkle, selectors, services
from gorod.ledger.models import AuditEvent
from gorod.people.models import Citizen, Official
from tests.people.factories import CitizenFactory


def leaf_data(count: int, start: int = 0) -> list[bytes]:
    return [f"leaf {number}".encode() for number in range(start, start + count)]


def log_filled(count: int, batch: int = 7) -> list[bytes]:
    """Append ``count`` leaves in batches; their leaf hashes in log order."""
    data = leaf_data(count)
    for first in range(0, count, batch):
        services.log_append(leaves=data[first : first + batch])
    return [merkle.leaf_hash(item) for item in data]


def official_read(
    official: Official, citizen: Citizen, purpose: str = "appointment of 3 March"
) -> AuditEvent:
    return services.record(
        actor=official.user,
        action="health.record.read",
        subject=citizen,
        purpose=purpose,
        detail={"record": "outpatient card"},
    )


def vote_recorded() -> tuple[AuditEvent, bytes]:
    """A citizen's vote, logged under a receipt secret that only the citizen holds."""
    citizen = CitizenFactory.create()
    secret = secrets.token_bytes(32)
    event = services.record(
        actor=citizen.user,
        action="participation.vote.cast",
        subject=citizen,
        purpose="",
        detail={"poll": 7, "choice": "B"},
        receipt_secret=secret,
    )
    return event, secret


def signed_receipt() -> dict[str, Any]:
    """The receipt of a vote that a signed tree head already covers."""
    event, secret = vote_recorded()
    services.tree_head_sign()
    return selectors.receipt_for(event=event, secret=secret)
