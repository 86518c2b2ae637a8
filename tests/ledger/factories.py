"""Helpers that fill the log through its services, as the city's services do."""

from __future__ import annotations

from gorod.ledger import merkle, services
from gorod.ledger.models import AuditEvent
from gorod.people.models import Citizen, Official


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
