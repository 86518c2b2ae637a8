"""Role groups: each official role is a Django group with the model permissions it needs.

Model permissions say *what kind* of object a role may touch; selectors and services then
restrict *which* objects to the official's scope.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from gorod.people.models import Role

# app_label.codename for each role; other apps add theirs by AppConfig.role_permissions.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.REGISTRY_CLERK: ["places.view_institution"],
    Role.DOCTOR: ["places.view_institution"],
    Role.SCHOOL_ADMIN: ["places.view_institution"],
    Role.UTILITY_OPERATOR: [
        "places.view_building",
        "places.view_apartment",
        "places.view_district",
    ],
    Role.ANALYST: ["places.view_district", "places.view_building", "places.view_institution"],
    Role.AUDITOR: [
        "places.view_district",
        "places.view_institution",
        "people.view_official",
        "people.view_citizen",
        "people.view_guardianship",
    ],
    Role.CITY_ADMIN: [
        "people.view_official",
        "people.add_official",
        "people.change_official",
        "people.view_citizen",
        "people.view_guardianship",
        "people.view_user",
        "people.add_user",
        "people.change_user",
        "places.view_district",
        "places.view_okrug",
        "places.view_building",
        "places.view_institution",
        "places.add_institution",
        "places.change_institution",
    ],
}


def role_permissions() -> dict[str, list[str]]:
    """Each role's permissions: the ones above plus what each app adds.

    An app grants its own model permissions by a ``role_permissions`` attribute on its
    AppConfig, ``{role: ["app_label.codename", ...]}``, so that no app edits this file.
    """
    merged = {role.value: list(ROLE_PERMISSIONS.get(role, ())) for role in Role}
    for config in apps.get_app_configs():
        for role, perms in getattr(config, "role_permissions", {}).items():
            merged.setdefault(role, []).extend(perms)
    return merged


def role_group_name(role: str) -> str:
    return f"role:{role}"


@transaction.atomic
def role_groups_sync(*, using: str = "default") -> None:
    for role, perms in role_permissions().items():
        group, _ = Group.objects.using(using).get_or_create(name=role_group_name(role))
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            perm = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)


def role_group(role: str) -> Group:
    """The group of ``role``, created with its permissions if migrations have not yet."""
    group = Group.objects.filter(name=role_group_name(role)).first()
    if group is None:
        role_groups_sync()
        group = Group.objects.get(name=role_group_name(role))
    return group
