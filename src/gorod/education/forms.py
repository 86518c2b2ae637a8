"""The application form: ranked choices among the eligible programmes, and the rights claimed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gorod.education.models import Application, Programme
from gorod.education.services import ClaimIn


def programme_label(programme: Programme, territory: set[int]) -> str:
    label = f"{programme.institution} — {programme.name}"
    if programme.institution_id in territory:
        label += " · " + gettext("your assigned territory")
    return label


class ApplicationForm(forms.Form):
    """``choice_1`` … ``choice_n`` (the first required), and the claims."""

    extraordinary = forms.BooleanField(label=_("Extraordinary right by law"), required=False)
    priority = forms.BooleanField(label=_("Priority right by law"), required=False)
    document = forms.CharField(
        label=_("Supporting document (name and number)"),
        max_length=200,
        required=False,
        help_text=_("The education department checks it before the round runs."),
    )
    sibling = forms.TypedChoiceField(
        label=_("A brother or sister already attends"), coerce=int, required=False, empty_value=None
    )
    staff = forms.TypedChoiceField(
        label=_("A parent works at"), coerce=int, required=False, empty_value=None
    )

    def __init__(
        self,
        *args: Any,
        programmes: Iterable[Programme],
        territory: set[int],
        max_choices: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        listed = list(programmes)
        options = [(p.pk, programme_label(p, territory)) for p in listed]
        self.max_choices = max_choices
        for rank in range(1, max_choices + 1):
            self.fields[f"choice_{rank}"] = forms.TypedChoiceField(
                label=gettext("Choice %(rank)d") % {"rank": rank},
                choices=[("", gettext("— none —")), *options],
                coerce=int,
                required=rank == 1,
                empty_value=None,
            )
        places = sorted(
            {(p.institution_id, str(p.institution)) for p in listed}, key=lambda x: x[1]
        )
        for name in ("sibling", "staff"):
            field = self.fields[name]
            if isinstance(field, forms.TypedChoiceField):
                field.choices = [("", gettext("— no —")), *places]

    def choice_fields(self) -> list[forms.BoundField]:
        return [self[f"choice_{rank}"] for rank in range(1, self.max_choices + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        picked = [data.get(f"choice_{rank}") for rank in range(1, self.max_choices + 1)]
        if None in picked[: len([p for p in picked if p is not None])]:
            raise forms.ValidationError(_("Fill the choices in order, without gaps."))
        chosen = [p for p in picked if p is not None]
        if len(set(chosen)) != len(chosen):
            raise forms.ValidationError(_("A programme is listed twice."))
        data["programme_ids"] = chosen
        return data

    def claims(self) -> list[ClaimIn]:
        data = self.cleaned_data
        document = data.get("document") or ""
        claims = [
            ClaimIn(category=category, document=document)
            for category in ("extraordinary", "priority")
            if data.get(category)
        ]
        claims += [
            ClaimIn(category=category, institution_id=data[category], document=document)
            for category in ("sibling", "staff")
            if data.get(category)
        ]
        return claims

    @staticmethod
    def initial_for(application: Application) -> dict[str, Any]:
        initial: dict[str, Any] = {
            f"choice_{choice.rank}": choice.programme_id for choice in application.choices.all()
        }
        for claim in application.claims.all():
            if claim.category in {"sibling", "staff"}:
                initial[claim.category] = claim.institution_id
            else:
                initial[claim.category] = True
            initial["document"] = claim.document
        return initial
