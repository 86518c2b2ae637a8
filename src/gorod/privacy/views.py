"""Pages: the citizen's consents and data export, and the public open-data releases."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gorod.errors import ApplicationError, NotFound
from gorod.people.models import Citizen, User
from gorod.privacy import selectors, services
from gorod.privacy.datasets import DATASETS, MECHANISMS
from gorod.privacy.downloads import export_response, release_csv_response, release_json_response
from gorod.privacy.export import exporters
from gorod.privacy.forms import ConsentActionForm
from gorod.privacy.models import Consent, ConsentText, Release
from gorod.privacy.purposes import PURPOSES, Purpose

RELEASES_PER_PAGE = 20


@dataclass(frozen=True)
class PurposeRow:
    purpose: Purpose
    text: ConsentText | None
    open_consent: Consent | None


@dataclass(frozen=True)
class PersonConsents:
    citizen: Citizen
    is_self: bool
    purposes: list[PurposeRow]
    history: list[Consent]


def _account(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def _people_consents(people: list[Citizen]) -> list[PersonConsents]:
    texts = selectors.consent_texts_current()
    result = []
    for position, citizen in enumerate(people):
        history = list(selectors.consents_of(citizen=citizen))
        open_by_purpose = {c.purpose: c for c in history if c.is_open}
        rows = [
            PurposeRow(purpose, texts.get(slug), open_by_purpose.get(slug))
            for slug, purpose in PURPOSES.items()
        ]
        result.append(PersonConsents(citizen, position == 0, rows, history))
    return result


@dataclass(frozen=True)
class ReceiptView:
    """A receipt as the page offers it: readable JSON and the same JSON as a download."""

    text: str
    download_url: str
    filename: str


def _receipt_view(receipt: dict[str, Any]) -> ReceiptView:
    text = json.dumps(receipt, indent=2, ensure_ascii=False)
    return ReceiptView(
        text=text,
        download_url="data:application/json;charset=utf-8," + quote(text),
        filename=f"gorod-receipt-{receipt['index']}.json",
    )


def _act_on_consent(request: HttpRequest, user: User) -> services.ConsentAct | None:
    form = ConsentActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return None
    data = form.cleaned_data
    try:
        citizen = selectors.citizen_for(user=user, citizen_id=data["citizen_id"])
        label = PURPOSES[data["purpose"]].label
        if data["action"] == "give":
            act = services.consent_give(
                citizen=citizen, purpose=data["purpose"], version=data["version"], actor=user
            )
            done = _("Consent given for %(name)s: %(purpose)s.")
        else:
            act = services.consent_withdraw(citizen=citizen, purpose=data["purpose"], actor=user)
            done = _("Consent withdrawn for %(name)s: %(purpose)s.")
    except (ApplicationError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", str(exc)))
        return None
    messages.success(request, done % {"name": citizen.full_name, "purpose": label})
    return act


@login_required
@require_http_methods(["GET", "POST"])
def consents(request: HttpRequest) -> HttpResponse:
    """The citizen's consents. After an act the page itself answers the POST, showing the
    act's receipt once: it goes through no redirect, session or cache, so the city keeps no
    copy of its secret."""
    user = _account(request)
    receipt = None
    if request.method == "POST":
        act = _act_on_consent(request, user)
        if act is None:
            return redirect("privacy:consents")
        receipt = _receipt_view(act.receipt)
    people = selectors.citizens_acting_for(user=user)
    response = render(
        request,
        "privacy/consents.html",
        {"people": _people_consents(people), "has_citizen": bool(people), "receipt": receipt},
    )
    if receipt is not None:
        add_never_cache_headers(response)
    return response


@login_required
@require_GET
def export_page(request: HttpRequest) -> HttpResponse:
    people = selectors.citizens_acting_for(user=_account(request))
    return render(
        request,
        "privacy/export.html",
        {"people": people, "has_citizen": bool(people), "exporters": list(exporters())},
    )


@login_required
@require_POST
def export_download(request: HttpRequest) -> FileResponse:
    return export_response(_account(request))


@dataclass(frozen=True)
class ReleaseView:
    release: Release
    title: str
    unit: str
    mechanism: str
    columns: list[tuple[str, str]]
    accuracy: list[dict[str, Any]]


def _release_view(release: Release) -> ReleaseView:
    dataset = DATASETS.get(release.dataset)
    labels = {name: str(label) for name, label in dataset.columns} if dataset else {}
    names = list(release.table.get("columns", []))
    return ReleaseView(
        release=release,
        title=str(dataset.title) if dataset else release.dataset,
        unit=str(dataset.unit) if dataset else "",
        mechanism=str(MECHANISMS.get(release.mechanism, release.mechanism)),
        columns=[(name, labels.get(name, name)) for name in names],
        accuracy=[
            {"label": labels.get(name, name), **noise} for name, noise in release.accuracy.items()
        ],
    )


@require_GET
def releases(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.releases_published(), RELEASES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "privacy/releases.html",
        {
            "page": page,
            "releases": [_release_view(release) for release in page.object_list],
            "budgets": [
                (dataset, selectors.budget_of(dataset=dataset)) for dataset in DATASETS.values()
            ],
        },
    )


def _release_or_404(release_id: int) -> Release:
    try:
        return selectors.release_get(release_id=release_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@require_GET
def release(request: HttpRequest, release_id: int) -> HttpResponse:
    found = _release_or_404(release_id)
    return render(
        request,
        "privacy/release.html",
        {"view": _release_view(found), "rows": found.table.get("rows", [])},
    )


@require_GET
def release_csv(request: HttpRequest, release_id: int) -> HttpResponse:
    return release_csv_response(_release_or_404(release_id))


@require_GET
def release_json(request: HttpRequest, release_id: int) -> HttpResponse:
    return release_json_response(_release_or_404(release_id))
