"""Keep one Django group per official role, with that role's model permissions."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from gorod.people.roles import role_groups_sync


@receiver(post_migrate)
def sync_role_groups(sender: AppConfig, **kwargs: Any) -> None:
    # Last app: by then every app's permissions exist.
    if sender.label != list(apps.get_app_configs())[-1].label:
        return
    role_groups_sync(using=kwargs.get("using", "default"))
