"""The booking pages' forms: choose a slot, confirm or cancel a booking."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SlotChoiceForm(forms.Form):
    slot_id = forms.IntegerField(label=_("time"), min_value=1, max_value=2**63 - 1)
    service_id = forms.IntegerField(label=_("service"), min_value=1, max_value=2**63 - 1)
    citizen_id = forms.IntegerField(label=_("for whom"), min_value=1, max_value=2**63 - 1)
    reschedule = forms.IntegerField(
        label=_("booking to move"), min_value=1, max_value=2**63 - 1, required=False
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("reason (optional)"), max_length=200, required=False)
