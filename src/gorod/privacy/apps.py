"""Consent, pseudonymisation, personal-data export and private statistics."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "gorod.privacy"
    label = "privacy"
    verbose_name = _("Privacy")

    # Read by the portal to show this app's entries on the citizen's cabinet and home page.
    citizen_tiles = [
        {
            "title": _("My consents"),
            "url_name": "privacy:consents",
            "description": _("Choose what your data may be used for, and change your mind."),
        },
        {
            "title": _("Export my data"),
            "url_name": "privacy:export-page",
            "description": _("Download everything the city holds about you and your children."),
        },
    ]
    public_tiles = [
        {
            "title": _("Open data"),
            "url_name": "privacy:releases",
            "description": _("City statistics published with differential privacy."),
        },
    ]

    def ready(self) -> None:
        # Imported once the app registry is ready: both read models.
        from gorod.privacy import checks  # noqa: F401  (registers the key check)
        from gorod.privacy.export import discover

        discover()
