"""Pages: the public log, one entry with its proof, who accessed my data, receipt checks."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from gorod.errors import ApplicationError, NotFound
from gorod.ledger import keys, merkle, selectors
from gorod.ledger.actions import action_label
from gorod.ledger.api import MESSAGE_FORMAT
from gorod.ledger.heads import key_id, raw_public_key
from gorod.people.selectors import citizen_for_user

ENTRIES_PER_PAGE = 50
ACCESSES_PER_PAGE = 50
MAX_RECEIPT_LENGTH = 20_000


def _public_key_context() -> dict[str, str]:
    key = keys.public_key()
    return {
        "key_id": key_id(key),
        "public_key_hex": raw_public_key(key).hex(),
        "public_key_pem": keys.public_key_pem(key),
        "message_format": MESSAGE_FORMAT,
    }


def _before(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def log(request: HttpRequest) -> HttpResponse:
    before = _before(request)
    entries = selectors.entries_latest(limit=ENTRIES_PER_PAGE + 1, before=before)
    older = entries[ENTRIES_PER_PAGE].index + 1 if len(entries) > ENTRIES_PER_PAGE else None
    context = {
        "head": selectors.head_latest(),
        "entries": [
            {"entry": entry, "label": action_label(entry.kind)}
            for entry in entries[:ENTRIES_PER_PAGE]
        ],
        "older": older,
        "paged": before is not None,
        **_public_key_context(),
    }
    return render(request, "ledger/log.html", context)


def entry(request: HttpRequest, index: int) -> HttpResponse:
    try:
        found = selectors.entry_get(index=index)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    head = selectors.head_latest()
    proof, proof_valid = None, False
    if head is not None and found.index < head.tree_size:
        proof = selectors.inclusion_proof_get(index=found.index)
        proof_valid = merkle.verify_inclusion(
            bytes(found.leaf_hash), found.index, head.tree_size, proof.path, bytes(head.root_hash)
        )
    context = {
        "entry": found,
        "label": action_label(found.kind),
        "head": head,
        "proof": proof,
        "proof_valid": proof_valid,
    }
    return render(request, "ledger/entry.html", context)


@login_required
def my_access(request: HttpRequest) -> HttpResponse:
    citizen = citizen_for_user(request.user)
    if citizen is None:
        return render(request, "ledger/my_access.html", {"citizen": None})
    pages = Paginator(selectors.accesses_to(citizen=citizen), ACCESSES_PER_PAGE)
    page = pages.get_page(request.GET.get("page"))
    rows = [{"event": event, "label": action_label(event.action)} for event in page]
    context = {"citizen": citizen, "page": page, "rows": rows}
    return render(request, "ledger/my_access.html", context)


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=gettext_lazy("Receipt"),
        help_text=gettext_lazy("Paste the whole receipt, as JSON, as you received it."),
        max_length=MAX_RECEIPT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "autocomplete": "off"}),
    )

    def clean_receipt(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data["receipt"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("This is not JSON (line %(line)d, column %(column)d).")
                % {"line": exc.lineno, "column": exc.colno}
            ) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError(_("A receipt is a JSON object, in braces."))
        return value


@require_http_methods(["GET", "POST"])
def receipt_verify(request: HttpRequest) -> HttpResponse:
    form = ReceiptForm(request.POST or None)
    check = None
    if request.method == "POST" and form.is_valid():
        try:
            check = selectors.receipt_verify(receipt=form.cleaned_data["receipt"])
        except ApplicationError as exc:
            form.add_error("receipt", exc.message)
    context = {"form": form, "check": check}
    if request.headers.get("HX-Request"):
        # htmx swaps only successful responses: the errors come back in the fragment.
        return render(request, "ledger/_receipt_htmx.html", context)
    return render(request, "ledger/receipt.html", context, status=400 if form.errors else 200)
