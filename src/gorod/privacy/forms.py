"""The consent page's buttons: give or withdraw one purpose for one person."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from gorod.privacy.purposes import purpose_choices


class ConsentActionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("action"), choices=[("give", _("give")), ("withdraw", _("withdraw"))]
    )
    citizen_id = forms.IntegerField(label=_("person"), min_value=1)
    purpose = forms.ChoiceField(label=_("purpose"), choices=purpose_choices)
    version = forms.IntegerField(label=_("text version"), min_value=1, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == "give" and not data.get("version"):
            self.add_error("version", _("Say which version of the text you agree to."))
        return data
