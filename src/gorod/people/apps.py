from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "gorod.people"
    label = "people"
    verbose_name = _("People")
    audit_actions = {"people.record.read": _("An official opened the resident's record")}

    def ready(self) -> None:
        from django.contrib import admin

        from gorod.people import signals  # noqa: F401  (connects the role groups sync)

        admin.site.site_header = _("Gorod: back office")
        admin.site.site_title = _("Gorod back office")
        admin.site.index_title = _("Work within your scope")
