"""The back office: audit events within the official's scope, and nothing editable."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gorod.ledger import services
from gorod.people.models import Official, Role
from tests.ledger.factories import log_filled, official_read
from tests.people.factories import CitizenFactory, OfficialFactory, UserFactory, city_official

pytestmark = pytest.mark.django_db

AUDIT_LIST = reverse("admin:ledger_auditevent_changelist")


def _as(client: Client, official: Official) -> Client:
    client.force_login(official.user)
    return client


def test_an_auditor_sees_every_institutions_audit_events(client: Client) -> None:
    official_read(OfficialFactory.create(), CitizenFactory.create(), purpose="первая причина")
    official_read(OfficialFactory.create(), CitizenFactory.create(), purpose="вторая причина")
    page = _as(client, city_official(role=Role.AUDITOR)).get(AUDIT_LIST).content.decode()
    assert "первая причина" in page
    assert "вторая причина" in page


def test_a_clerk_sees_only_the_own_institutions_audit_events(client: Client) -> None:
    clerk = OfficialFactory.create(role=Role.REGISTRY_CLERK)
    official_read(clerk, CitizenFactory.create(), purpose="своя причина")
    official_read(OfficialFactory.create(), CitizenFactory.create(), purpose="чужая причина")
    page = _as(client, clerk).get(AUDIT_LIST).content.decode()
    assert "своя причина" in page
    assert "чужая причина" not in page


def test_another_institutions_event_is_not_found_by_its_address(client: Client) -> None:
    event = official_read(OfficialFactory.create(), CitizenFactory.create())
    clerk = OfficialFactory.create()
    url = reverse("admin:ledger_auditevent_change", args=[event.pk])
    assert _as(client, clerk).get(url).status_code == 302


def test_an_audit_event_shows_that_it_matches_its_log_entry(client: Client) -> None:
    event = official_read(OfficialFactory.create(), CitizenFactory.create())
    auditor = city_official(role=Role.AUDITOR)
    url = reverse("admin:ledger_auditevent_change", args=[event.pk])
    page = _as(client, auditor).get(url, headers={"accept-language": "en"}).content.decode()
    assert "Matches its log entry" in page
    assert '<div class="readonly">yes</div>' in page


@pytest.mark.parametrize("model", ["auditevent", "logentry", "signedtreehead"])
def test_nothing_in_the_log_can_be_added_changed_or_deleted(client: Client, model: str) -> None:
    event = official_read(OfficialFactory.create(), CitizenFactory.create())
    log_filled(2)
    head, _created = services.tree_head_sign()
    pk = {"auditevent": event.pk, "logentry": 0, "signedtreehead": head.pk}[model]
    admin_user = UserFactory.create(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    assert client.get(reverse(f"admin:ledger_{model}_add")).status_code == 403
    assert client.get(reverse(f"admin:ledger_{model}_delete", args=[pk])).status_code == 403
    change = reverse(f"admin:ledger_{model}_change", args=[pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {}).status_code == 403


def test_staff_that_is_not_an_official_does_not_see_the_audit(client: Client) -> None:
    client.force_login(UserFactory.create(is_staff=True))
    assert client.get(AUDIT_LIST).status_code == 403
