"""Tell a person something: in their cabinet always, and by e-mail or SMS when asked.

``notify`` is what other apps call, inside their own transaction. The cabinet copy is a
row written with that transaction; e-mail and SMS go out only after it commits, through
a *sender* per channel chosen in the settings (``GOROD_NOTIFICATION_SENDERS``). The
default sender writes the message to the log, so a laptop demo shows what a city would
send through its SMS gateway or mail relay.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from gorod.errors import ApplicationError
from gorod.people.models import User
from gorod.portal.models import Delivery, Notification

log = logging.getLogger("gorod.notifications")

CABINET = "cabinet"
CHANNELS = (CABINET, *Delivery.Channel.values)
DEFAULT_SENDERS = {
    Delivery.Channel.EMAIL: "gorod.portal.notifications.ConsoleSender",
    Delivery.Channel.SMS: "gorod.portal.notifications.ConsoleSender",
}


class Sender(Protocol):
    """Sends one message to one address; raises ``OSError`` when the transport fails."""

    def send(self, *, channel: str, address: str, title: str, body: str, link: str) -> None: ...


class ConsoleSender:
    """Writes the message to the log instead of sending it: for laptops and tests."""

    def send(self, *, channel: str, address: str, title: str, body: str, link: str) -> None:
        log.info("%s to %s: %s. %s %s", channel, address, title, body, link)


class DjangoMailSender:
    """E-mail through Django's configured mail backend (SMTP in a city deployment)."""

    def send(self, *, channel: str, address: str, title: str, body: str, link: str) -> None:
        text = f"{body}\n\n{link}".strip() if link else body
        send_mail(title, text, None, [address])


def sender_for(channel: str) -> Sender:
    senders = DEFAULT_SENDERS | getattr(settings, "GOROD_NOTIFICATION_SENDERS", {})
    sender: Sender = import_string(senders[channel])()
    return sender


def address_for(user: User, channel: str) -> str:
    """Where ``user`` is reached on ``channel``: the citizen's contact first, then the account's."""
    citizen = getattr(user, "citizen", None)
    if channel == Delivery.Channel.EMAIL:
        return (citizen.contact_email if citizen else "") or user.email or ""
    return (citizen.contact_phone if citizen else "") or user.phone or ""


def notify(
    *,
    user: User,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    channels: Sequence[str] = (CABINET,),
) -> Notification:
    """Leave ``user`` a message in the cabinet and send it over the other ``channels``."""
    unknown = sorted(set(channels) - set(CHANNELS))
    if unknown:
        raise ApplicationError(
            _("Unknown notification channel: %(channel)s.") % {"channel": ", ".join(unknown)},
            field="channels",
        )
    notification = Notification.objects.create(
        user=user, kind=kind, title=title[:200], body=body, link=link[:500]
    )
    for channel in dict.fromkeys(channels):
        if channel == CABINET:
            continue
        address = address_for(user, channel)
        delivery = Delivery.objects.create(
            notification=notification,
            channel=channel,
            address=address,
            status=Delivery.Status.PENDING if address else Delivery.Status.SKIPPED,
            detail="" if address else _("No address on file for this channel."),
        )
        if address:
            transaction.on_commit(partial(deliver, delivery.pk))
    return notification


def deliver(delivery_id: int) -> Delivery:
    """Send one pending delivery and record the outcome; a failed send is kept, never lost."""
    delivery = Delivery.objects.select_related("notification").get(pk=delivery_id)
    if delivery.status != Delivery.Status.PENDING:
        return delivery
    message = delivery.notification
    try:
        sender_for(delivery.channel).send(
            channel=delivery.channel,
            address=delivery.address,
            title=message.title,
            body=message.body,
            link=message.link,
        )
    except OSError as exc:
        delivery.status, delivery.detail = Delivery.Status.FAILED, str(exc)[:500]
    else:
        delivery.status = Delivery.Status.SENT
    delivery.save(update_fields=["status", "detail", "updated_at"])
    return delivery


def notifications_mark_read(*, user: User, ids: Sequence[int] | None = None) -> int:
    """Mark ``user``'s notifications read (all of them without ``ids``); returns how many."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
