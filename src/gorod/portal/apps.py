from typing import ClassVar

from django.apps import AppConfig
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "gorod.portal"
    label = "portal"
    verbose_name = _("Portal")

    citizen_tiles: ClassVar[list[dict[str, str | Promise]]] = [
        {
            "title": _("My profile"),
            "url_name": "people:profile",
            "description": _("Your name, SNILS, OMS policy, address and how to reach you."),
        },
        {
            "title": _("My home"),
            "url_name": "portal:my-home",
            "description": _("Your apartment, the building, its district and okrug on a map."),
        },
        {
            "title": _("My children"),
            "url_name": "people:children",
            "description": _("The children you act for in the city's services."),
        },
    ]
