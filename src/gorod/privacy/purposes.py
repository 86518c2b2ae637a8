"""The purposes a citizen may consent to, declared in code.

A purpose is a slug other services name when they call ``consent_require``; the legal
text the citizen agrees to lives in the database (``ConsentText``), versioned, because
it changes without a release of the code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise


@dataclass(frozen=True)
class Purpose:
    slug: str
    label: str | StrPromise
    description: str | StrPromise


PURPOSES: dict[str, Purpose] = {
    purpose.slug: purpose
    for purpose in (
        Purpose(
            "analytics.pseudonymised",
            _("City analytics on pseudonymised data"),
            _(
                "Your records may be used in city statistics under a keyed pseudonym, "
                "never with your name, SNILS or address."
            ),
        ),
        Purpose(
            "notifications.email",
            _("Notifications by e-mail"),
            _("The city may write to your contact e-mail about your applications and bookings."),
        ),
        Purpose(
            "research.health",
            _("Medical research"),
            _(
                "Your pseudonymised medical records may be used in approved medical research "
                "by the city's clinics."
            ),
        ),
    )
}


def purpose_choices() -> list[tuple[str, str | StrPromise]]:
    return [(purpose.slug, purpose.label) for purpose in PURPOSES.values()]
