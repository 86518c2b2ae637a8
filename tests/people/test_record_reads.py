"""An official opening a resident's record leaves an audit event the resident can see."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from gorod.ledger.models import AuditEvent
from gorod.people.services import citizen_record_read
from tests.people.factories import CitizenFactory, child_of, city_official

pytestmark = pytest.mark.django_db


def test_an_official_opening_a_record_in_the_back_office_is_audited(client: Client) -> None:
    citizen = CitizenFactory.create()
    official = city_official()
    client.force_login(official.user)
    response = client.get(reverse("admin:people_citizen_change", args=[citizen.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(subject=citizen)
    assert event.action == "people.record.read"
    assert event.actor_id == official.user.pk
    assert event.actor_role == official.role
    assert event.purpose
    assert event.log_entry is not None


def test_the_resident_sees_the_back_office_read_in_who_accessed_my_data(client: Client) -> None:
    citizen = CitizenFactory.create()
    official = city_official()
    client.force_login(official.user)
    client.get(reverse("admin:people_citizen_change", args=[citizen.pk]))
    client.force_login(citizen.user)
    html = client.get(reverse("ledger:my-access")).content.decode()
    assert "Сотрудник открыл карточку жителя" in html
    assert str(official.user) in html


def test_the_changelist_alone_is_not_a_read_of_anyones_record(client: Client) -> None:
    CitizenFactory.create()
    client.force_login(city_official().user)
    client.get(reverse("admin:people_citizen_changelist"))
    assert not AuditEvent.objects.exists()


def test_a_record_refused_to_the_official_is_not_audited_as_read(client: Client) -> None:
    citizen = CitizenFactory.create()
    clerk = CitizenFactory.create(user__is_staff=True).user
    client.force_login(clerk)
    response = client.get(reverse("admin:people_citizen_change", args=[citizen.pk]))
    assert response.status_code in {302, 403, 404}
    assert not AuditEvent.objects.filter(subject=citizen).exists()


def test_a_resident_reading_their_own_or_their_childs_record_is_not_an_access() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    citizen_record_read(actor=parent.user, citizen=parent, purpose="own", channel="test")
    citizen_record_read(actor=parent.user, citizen=child, purpose="own", channel="test")
    assert not AuditEvent.objects.exists()
