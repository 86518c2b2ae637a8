"""The booking pages' forms: choose a slot or the first available time, confirm or cancel
a booking; the desk's: find the visitor, book for them, cancel for a reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class SlotChoiceForm(forms.Form):
    slot_id = forms.IntegerField(label=_("time"), min_value=1, max_value=2**63 - 1)
    service_id = forms.IntegerField(label=_("service"), min_value=1, max_value=2**63 - 1)
    citizen_id = forms.IntegerField(label=_("for whom"), min_value=1, max_value=2**63 - 1)
    reschedule = forms.IntegerField(
        label=_("booking to move"), min_value=1, max_value=2**63 - 1, required=False
    )


class EarliestForm(forms.Form):
    """The first available time for a service at an office, for the person chosen
    (yourself when left out)."""

    service_id = forms.IntegerField(label=_("service"), min_value=1, max_value=2**63 - 1)
    institution_id = forms.IntegerField(label=_("office"), min_value=1, max_value=2**63 - 1)
    citizen_id = forms.IntegerField(
        label=_("for whom"), min_value=1, max_value=2**63 - 1, required=False
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("reason (optional)"), max_length=200, required=False)


class VisitorFindForm(forms.Form):
    """The desk finds the visitor by SNILS, or by last name and date of birth."""

    snils = forms.CharField(
        label=_("SNILS"),
        max_length=20,
        required=False,
        help_text=_("11 digits, for example 112-233-445 95."),
        widget=forms.TextInput({"inputmode": "numeric", "autocomplete": "off"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=100,
        required=False,
        widget=forms.TextInput({"autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("snils") and not data.get("last_name"):
            self.add_error("snils", _("Give the SNILS, or the last name and date of birth."))
        return data


class DeskBookForm(forms.Form):
    slot_id = forms.IntegerField(label=_("time"), min_value=1, max_value=2**63 - 1)
    service_id = forms.IntegerField(label=_("service"), min_value=1, max_value=2**63 - 1)


class DeskCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("The visitor is told it."),
        widget=forms.TextInput({"autocomplete": "off"}),
    )
