"""Who is called next: fair queuing of booked and walk-in visitors, with priority categories.

Pure: no Django. Every waiting ticket gets one *turn*, a moment in time; a counter calls the
eligible ticket with the earliest turn (ties by ticket number):

- a walk-in's turn is when their ticket was issued;
- a booked visitor's turn is their appointment time, or their arrival if they came late:
  nobody who came after that moment overtakes them, and they overtake nobody who was there
  before it. A booked visitor who came early waits until their appointment is due, unless
  nobody else is waiting (a counter never idles while someone is in the hall);
- a priority category (disabled people, pregnant women, veterans...) moves the turn earlier
  by a bounded head start (``priority_head_start``): they go first unless someone has waited
  that much longer, so priority never starves the others;
- a transferred ticket keeps its turn: the visitor does not queue again from the back.

One total order makes the rule easy to explain on the board, to compute a visitor's
position, and to reuse unchanged in the simulation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Waiting:
    """A waiting ticket as the rule sees it (aware datetimes)."""

    key: int
    service: int
    issued_at: dt.datetime
    appointment_at: dt.datetime | None = None
    priority: bool = False
    number: int = 0


def turn(ticket: Waiting, *, priority_head_start: dt.timedelta) -> dt.datetime:
    """The moment that places ``ticket`` in the queue (see the module's rule)."""
    moment = ticket.issued_at
    if ticket.appointment_at is not None:
        moment = max(ticket.appointment_at, ticket.issued_at)
    if ticket.priority:
        moment -= priority_head_start
    return moment


def is_due(ticket: Waiting, *, now: dt.datetime) -> bool:
    """A walk-in is always due; a booked visitor from their appointment time on."""
    return ticket.appointment_at is None or ticket.appointment_at <= now


def ordered(tickets: Iterable[Waiting], *, priority_head_start: dt.timedelta) -> list[Waiting]:
    """The tickets in the order they would be called, due or not."""
    return sorted(
        tickets,
        key=lambda t: (turn(t, priority_head_start=priority_head_start), t.number, t.key),
    )


def call_order(
    tickets: Iterable[Waiting],
    *,
    services: Iterable[int],
    now: dt.datetime,
    priority_head_start: dt.timedelta,
) -> list[Waiting]:
    """The tickets a counter serving ``services`` may call now, best first.

    Due tickets come first in turn order; early booked visitors follow, so that a counter
    with nobody due still serves whoever is there."""
    served = set(services)
    mine = ordered(
        (t for t in tickets if t.service in served), priority_head_start=priority_head_start
    )
    due = [t for t in mine if is_due(t, now=now)]
    early = [t for t in mine if not is_due(t, now=now)]
    return due + early


def ahead_of(
    ticket: Waiting,
    tickets: Sequence[Waiting],
    *,
    services: Iterable[int],
    priority_head_start: dt.timedelta,
) -> int:
    """How many of ``tickets`` (waiting for ``services``, the ones sharing a counter with
    ``ticket``) come before it."""
    served = set(services)
    order = ordered(
        (t for t in tickets if t.service in served or t.key == ticket.key),
        priority_head_start=priority_head_start,
    )
    for position, other in enumerate(order):
        if other.key == ticket.key:
            return position
    return len(order)
