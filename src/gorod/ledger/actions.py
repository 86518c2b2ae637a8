"""Human names for audit actions, declared by each app.

An app names the actions it records as a class attribute of its AppConfig,
``audit_actions = {"health.record.read": _("Read the medical record")}``; an action
no app names is shown as its dotted code.
"""

from __future__ import annotations

from django.apps import apps


def action_label(action: str) -> str:
    for config in apps.get_app_configs():
        label = getattr(config, "audit_actions", {}).get(action)
        if label is not None:
            return str(label)
    return action
