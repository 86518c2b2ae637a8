"""``/api/v1/notifications``: what the city told the signed-in account."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from gorod.people.models import User
from gorod.portal.models import Notification
from gorod.portal.notifications import notifications_mark_read
from gorod.schemas import ErrorOut, Key, Pages

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class ReadIn(Schema):
    ids: list[Key] | None = Field(None, max_length=1000, description="omit to mark all read")


class ReadOut(Schema):
    marked: int


@router.get("", response={200: list[NotificationOut], 422: ErrorOut})
@paginate(Pages)
def notifications(request: HttpRequest, unread: bool = False) -> QuerySet[Notification]:
    """The account's notifications, newest first; ``unread=true`` keeps the unread ones."""
    mine = Notification.objects.filter(user=cast(User, request.user))
    return mine.filter(read_at__isnull=True) if unread else mine


@router.post("/read", response={200: ReadOut, 422: ErrorOut})
def notifications_read(request: HttpRequest, body: ReadIn) -> ReadOut:
    """Mark the given notifications read (all of them without ``ids``); others' are ignored."""
    marked = notifications_mark_read(user=cast(User, request.user), ids=body.ids)
    return ReadOut(marked=marked)
