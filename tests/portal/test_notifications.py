from __future__ import annotations

import logging
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gorod.errors import ApplicationError
from gorod.portal.models import Delivery, Notification
from gorod.portal.notifications import deliver, notify, unread_count
from tests.people.factories import CitizenFactory, UserFactory, account, token_for

pytestmark = pytest.mark.django_db


class FailingSender:
    def send(self, **kwargs: object) -> None:
        raise OSError("gateway unreachable")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_notification_waits_unread_in_the_cabinet():
    user = account(CitizenFactory.create())

    note = notify(user=user, kind="test.hello", title="Hello", body="Body", link="/cabinet/")

    assert note.read_at is None
    assert unread_count(user) == 1
    assert not note.deliveries.exists()  # the cabinet needs no delivery


def test_email_and_sms_go_out_after_the_commit_through_the_sender(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
):
    citizen = CitizenFactory.create(contact_email="anna@example.org", contact_phone="+79991234567")

    with caplog.at_level(logging.INFO, "gorod.notifications"):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            note = notify(
                user=account(citizen),
                kind="test",
                title="Visit",
                channels=("cabinet", "email", "sms"),
            )
        assert {d.status for d in note.deliveries.all()} == {Delivery.Status.PENDING}
        for callback in callbacks:
            callback()

    deliveries = {d.channel: d for d in note.deliveries.all()}
    assert deliveries["email"].address == "anna@example.org"
    assert deliveries["sms"].address == "+79991234567"
    assert {d.status for d in deliveries.values()} == {Delivery.Status.SENT}
    assert "anna@example.org" in caplog.text and "+79991234567" in caplog.text


def test_a_channel_without_an_address_is_skipped_not_lost():
    user = UserFactory.create(phone=None)

    note = notify(user=user, kind="test", title="SMS", channels=("sms",))

    delivery = note.deliveries.get()
    assert delivery.status == Delivery.Status.SKIPPED
    assert delivery.detail


def test_a_failed_send_is_recorded_with_its_reason(settings):
    settings.GOROD_NOTIFICATION_SENDERS = {"email": f"{__name__}.FailingSender"}
    user = account(CitizenFactory.create(contact_email="a@example.org"))
    note = notify(user=user, kind="test", title="x", channels=("email",))

    delivery = deliver(note.deliveries.get().pk)

    assert delivery.status == Delivery.Status.FAILED
    assert "gateway unreachable" in delivery.detail


def test_an_unknown_channel_is_refused_and_nothing_is_written():
    user = account(CitizenFactory.create())

    with pytest.raises(ApplicationError) as error:
        notify(user=user, kind="test", title="x", channels=("pigeon",))

    assert error.value.field == "channels"
    assert not Notification.objects.exists()


def test_the_page_lists_mine_only_and_marks_them_read():
    me, other = account(CitizenFactory.create()), account(CitizenFactory.create())
    mine = notify(user=me, kind="test", title="For me")
    theirs = notify(user=other, kind="test", title="For someone else")
    client = signed_in(me)

    page = client.get(reverse("portal:notifications"))
    assert "For me" in page.text and "For someone else" not in page.text
    assert 'class="badge"' in client.get(reverse("portal:cabinet")).text

    client.post(reverse("portal:notifications-read"), {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None  # another account's notification is out of reach

    client.post(reverse("portal:notifications-read"), {"id": mine.pk})
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert unread_count(me) == 0


def test_the_api_lists_and_marks_read_by_token():
    me = account(CitizenFactory.create())
    first = notify(user=me, kind="test", title="One")
    notify(user=me, kind="test", title="Two")
    _token, key = token_for(me)
    headers = {"Authorization": f"Bearer {key}"}
    client = Client()

    listed = client.get("/api/v1/notifications?unread=true", headers=headers).json()
    assert [n["title"] for n in listed["items"]] == ["Two", "One"]

    marked = client.post(
        "/api/v1/notifications/read",
        {"ids": [first.pk]},
        content_type="application/json",
        headers=headers,
    ).json()
    assert marked == {"marked": 1}
    assert client.get("/api/v1/notifications?unread=true", headers=headers).json()["count"] == 1


@pytest.mark.parametrize("bad", ["one", False, 0], ids=["text", "boolean", "zero"])
def test_the_api_refuses_a_bad_id_list_naming_the_field(bad):
    me = account(CitizenFactory.create())
    _token, key = token_for(me)

    response = Client().post(
        "/api/v1/notifications/read",
        {"ids": [bad]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )

    assert response.status_code in {400, 422}
    assert "ids" in str(response.json())
