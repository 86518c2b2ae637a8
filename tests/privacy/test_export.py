"""Export all my data: the registry, the archive, and the audit event of every export."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from gorod.ledger.models import AuditEvent
from gorod.privacy import export
from gorod.privacy.services import consent_give, export_create
from tests.people.factories import CitizenFactory, child_of

pytestmark = pytest.mark.django_db


def _archive(citizen) -> zipfile.ZipFile:
    out = io.BytesIO()
    export_create(actor=citizen.user, citizen=citizen, out=out)
    out.seek(0)
    return zipfile.ZipFile(out)


def _read(archive: zipfile.ZipFile, name: str) -> Any:
    return json.loads(archive.read(name))


def test_people_and_privacy_register_their_exporters_at_start_up() -> None:
    assert {
        "people.account",
        "people.profile",
        "people.address",
        "people.family",
        "privacy.consents",
        "ledger.audit_events",
    } <= set(export.exporters())


def test_the_archive_has_a_folder_for_the_citizen_and_each_child() -> None:
    parent = CitizenFactory.create()
    first, second = child_of(parent), child_of(parent)
    names = _archive(parent).namelist()
    folders = {name.split("/")[0] for name in names if "/" in name}
    assert folders == {"self", f"child-{first.pk}", f"child-{second.pk}"}
    assert "manifest.json" in names


def test_the_profile_holds_the_citizens_personal_data() -> None:
    citizen = CitizenFactory.create()
    profile = _read(_archive(citizen), "self/people.profile.json")
    assert profile["snils"] == citizen.snils
    assert profile["last_name"] == citizen.last_name
    assert profile["birth_date"] == citizen.birth_date.isoformat()


def test_the_address_names_the_building_and_district() -> None:
    citizen = CitizenFactory.create()
    address = _read(_archive(citizen), "self/people.address.json")["address"]
    assert address["building"] == citizen.apartment.building.address
    assert address["district"] == citizen.apartment.building.district.name


def test_the_family_lists_children_and_the_childs_folder_lists_guardians() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    archive = _archive(parent)
    assert [c["id"] for c in _read(archive, "self/people.family.json")["children"]] == [child.pk]
    guardians = _read(archive, f"child-{child.pk}/people.family.json")["guardians"]
    assert [g["id"] for g in guardians] == [parent.pk]


def test_a_child_without_an_account_exports_no_account() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    assert _read(_archive(parent), f"child-{child.pk}/people.account.json") == {"account": None}


def test_the_archive_never_holds_the_password_hash() -> None:
    citizen = CitizenFactory.create()
    archive = _archive(citizen)
    password_hash = citizen.user.password
    for name in archive.namelist():
        content = archive.read(name).decode()
        assert password_hash not in content
        assert "password" not in content


def test_the_account_is_exported_without_api_token_hashes() -> None:
    citizen = CitizenFactory.create()
    citizen.user.api_tokens.create(name="laptop", key_hash="f" * 64, prefix="abcd1234")
    account = _read(_archive(citizen), "self/people.account.json")
    assert account["account"]["email"] == citizen.user.email
    assert account["api_tokens"][0]["name"] == "laptop"
    assert "key_hash" not in account["api_tokens"][0]


def test_consents_are_exported_with_the_text_agreed_to() -> None:
    citizen = CitizenFactory.create()
    consent_give(citizen=citizen, purpose="research.health", version=1)
    consents = _read(_archive(citizen), "self/privacy.consents.json")
    assert consents[0]["purpose"] == "research.health"
    assert consents[0]["text_version"] == 1
    assert consents[0]["withdrawn_at"] is None
    assert consents[0]["text_ru"]


def test_the_audit_events_about_each_person_are_in_their_folder() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    consent_give(citizen=child, purpose="research.health", version=1, actor=parent.user)
    archive = _archive(parent)
    child_events = _read(archive, f"child-{child.pk}/ledger.audit_events.json")
    assert [e["action"] for e in child_events] == ["privacy.consent.give"]
    assert isinstance(child_events[0]["log_entry"], int)
    assert "nonce" not in child_events[0]
    assert _read(archive, "self/ledger.audit_events.json") == []


def test_every_export_is_an_audit_event_for_each_person_in_it() -> None:
    parent = CitizenFactory.create()
    child = child_of(parent)
    _archive(parent)
    events = AuditEvent.objects.filter(action="privacy.export")
    assert {event.subject_id for event in events} == {parent.pk, child.pk}
    assert all(event.purpose == "data subject access request" for event in events)
    assert all(event.actor == parent.user for event in events)


def test_nobody_may_export_another_citizens_data() -> None:
    victim, other = CitizenFactory.create(), CitizenFactory.create()
    with pytest.raises(PermissionDenied):
        export_create(actor=other.user, citizen=victim, out=io.BytesIO())
    assert not AuditEvent.objects.filter(action="privacy.export").exists()


def test_a_registered_exporter_gets_its_own_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "_exporters", dict(export._exporters))
    export.register_exporter("meters.readings", lambda citizen: [{"citizen": citizen.pk}])
    citizen = CitizenFactory.create()
    assert _read(_archive(citizen), "self/meters.readings.json") == [{"citizen": citizen.pk}]


def test_two_exporters_cannot_share_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "_exporters", dict(export._exporters))
    export.register_exporter("meters.readings", lambda citizen: {})
    with pytest.raises(ValueError, match="already registered"):
        export.register_exporter("meters.readings", lambda citizen: [])


@pytest.mark.parametrize("name", ["", "Meters", "meters/../x", "meters..x", "1meters"])
def test_an_exporter_name_must_be_dotted_lowercase_words(name: str) -> None:
    with pytest.raises(ValueError, match="dotted lowercase"):
        export.register_exporter(name, lambda citizen: {})
