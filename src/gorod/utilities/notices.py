"""What the utilities tell residents: readings accepted, a bill issued, a leak confirmed,
the window open. In the cabinet always, by e-mail or SMS as each resident chose."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.urls import reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from gorod.people.models import Citizen, User
from gorod.places.models import Apartment
from gorod.portal.notifications import notify
from gorod.utilities.models import Alert, Bill, Reading
from gorod.utilities.selectors import REMINDER


def _channels(citizen: Citizen) -> tuple[str, ...]:
    chosen = ["cabinet"]
    if citizen.notify_by_email:
        chosen.append("email")
    if citizen.notify_by_sms:
        chosen.append("sms")
    return tuple(chosen)


def _residents(apartment: Apartment) -> list[tuple[Citizen, User]]:
    """The residents with an account, each with it."""
    found = Citizen.objects.filter(apartment=apartment, user__isnull=False).select_related("user")
    return [(citizen, citizen.user) for citizen in found if citizen.user is not None]


def _month(period: dt.date) -> str:
    return date_format(period, "YEAR_MONTH_FORMAT")


def readings_accepted(*, user: User, readings: Sequence[Reading]) -> None:
    if not readings:
        return
    notify(
        user=user,
        kind="utilities.readings",
        title=_("Readings for %(month)s accepted") % {"month": _month(readings[0].period)},
        body="\n".join(f"{r.meter}: {r.value} {r.meter.unit}" for r in readings),
        link=reverse("utilities:meters"),
    )


def bill_issued(*, bill: Bill) -> None:
    for citizen, user in _residents(bill.apartment):
        notify(
            user=user,
            kind="utilities.bill",
            title=_("Bill for %(month)s: %(total)s ₽")
            % {"month": _month(bill.period), "total": number_format(bill.total, 2)},
            body=str(bill.apartment),
            link=reverse("utilities:meters") + "#bills",
            channels=_channels(citizen),
        )


def leak_confirmed(*, alert: Alert) -> None:
    """The residents hear that an operator confirmed a problem with their meter."""
    for citizen, user in _residents(alert.meter.apartment):
        notify(
            user=user,
            kind="utilities.alert",
            title=_("A problem with your meter: %(kind)s") % {"kind": alert.kind_label},
            body=alert.explanation,
            link=reverse("utilities:meters"),
            channels=_channels(citizen),
        )


def window_open(*, citizen: Citizen, user: User, period: dt.date, closes: dt.date) -> None:
    notify(
        user=user,
        kind=REMINDER,
        title=_("Time to submit your meter readings for %(month)s") % {"month": _month(period)},
        body=_("Readings are accepted until %(day)s.") % {"day": date_format(closes, "j E")},
        link=reverse("utilities:submit"),
        channels=_channels(citizen),
    )
