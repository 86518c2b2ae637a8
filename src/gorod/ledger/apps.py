from typing import ClassVar

from django.apps import AppConfig
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "gorod.ledger"
    label = "ledger"
    verbose_name = _("Transparency log")

    audit_actions: ClassVar[dict[str, Promise]] = {"ledger.entry": _("log entry")}
    citizen_tiles: ClassVar[list[dict[str, str | Promise]]] = [
        {
            "title": _("Who accessed my data"),
            "url_name": "ledger:my-access",
            "description": _(
                "Every time an official opened your records or your children's: who, when "
                "and why, with a proof from the public log."
            ),
        },
    ]
    public_tiles: ClassVar[list[dict[str, str | Promise]]] = [
        {
            "title": _("Transparency log"),
            "url_name": "ledger:log",
            "description": _(
                "The public, signed record of every sensitive act in the city's services, "
                "and how to check it yourself."
            ),
        },
        {
            "title": _("Check a receipt"),
            "url_name": "ledger:receipt-verify",
            "description": _("Prove that your act, such as a vote, is in the public log."),
        },
    ]
