"""Pages: a family applies and follows the result; the school sees its admitted list; the
district sees demand against places; anyone sees how each round was decided."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gorod.education import rules, selectors, services
from gorod.education.forms import ApplicationForm
from gorod.education.models import Application, Offer, Round
from gorod.errors import ApplicationError, NotFound
from gorod.people.models import Citizen, Role, User
from gorod.people.scope import official_for


def _account(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


@dataclass(frozen=True)
class RoundForChild:
    round: Round
    refusal: str | None
    application: Application | None


@dataclass(frozen=True)
class ChildRounds:
    child: Citizen
    rounds: list[RoundForChild]


@login_required
@require_GET
def apply(request: HttpRequest) -> HttpResponse:
    """The family's start page: each child, the open rounds, and the applications made."""
    user = _account(request)
    children = list(selectors.children_of(user))
    applications = list(
        selectors.applications_for(user).filter(child__in=children).order_by("-round__year", "pk")
    )
    made = {(a.child_id, a.round_id): a for a in applications}
    open_rounds = list(selectors.rounds_open())
    rows = [
        ChildRounds(
            child=child,
            rounds=[
                RoundForChild(
                    round=round_,
                    refusal=services.eligibility_refusal(round_=round_, child=child),
                    application=made.get((child.pk, round_.pk)),
                )
                for round_ in open_rounds
            ],
        )
        for child in children
    ]
    return render(
        request,
        "education/apply.html",
        {"children": rows, "applications": applications, "has_rounds": bool(open_rounds)},
    )


def _child_and_round(user: User, child_id: int, round_id: int) -> tuple[Citizen, Round]:
    child = selectors.children_of(user).filter(pk=child_id).first()
    round_ = selectors.rounds_list().filter(pk=round_id).first()
    if child is None or round_ is None:
        raise Http404
    return child, round_


@login_required
@require_http_methods(["GET", "POST"])
def apply_form(request: HttpRequest, child_id: int, round_id: int) -> HttpResponse:
    """Ranked choices among the programmes that take the child, then the rights claimed."""
    user = _account(request)
    child, round_ = _child_and_round(user, child_id, round_id)
    existing = selectors.applications_for(user).filter(round=round_, child=child).first()
    if existing is not None and existing.status == Application.Status.WITHDRAWN:
        existing = None
    refusal = services.eligibility_refusal(round_=round_, child=child)
    if not selectors.round_accepts(round_):
        refusal = _("The round does not accept applications now.")
    programmes = list(selectors.programmes_eligible(round_=round_, child=child))
    territory = selectors.territory_institutions(child)
    programmes.sort(key=lambda p: (p.institution_id not in territory, str(p.institution), p.name))
    initial = ApplicationForm.initial_for(existing) if existing else None
    form = ApplicationForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        programmes=programmes,
        territory=territory,
        max_choices=round_.max_choices,
    )
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            if existing is None:
                application = services.application_submit(
                    round_=round_,
                    child=child,
                    user=user,
                    programme_ids=form.cleaned_data["programme_ids"],
                    claims=form.claims(),
                )
            else:
                application = services.application_update(
                    application=existing,
                    user=user,
                    programme_ids=form.cleaned_data["programme_ids"],
                    claims=form.claims(),
                )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The application is submitted."))
            return redirect("education:application", application.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "education/apply_form.html",
        {
            "child": child,
            "round": round_,
            "form": form,
            "refusal": refusal,
            "existing": existing,
            "programmes": programmes,
            "territory": territory,
            "age_months": selectors.age_months(round_=round_, child=child),
        },
        status=status,
    )


def _group_text(group: int | None) -> str:
    if group is None:
        return ""
    meaning = rules.group_meaning(group)
    right = {
        "extraordinary": _("extraordinary right"),
        "priority": _("priority right"),
        "sibling": _("sibling at the institution"),
        "staff": _("staff child"),
        None: _("no right claimed"),
    }[meaning.right]
    where = _("assigned territory") if meaning.territory else _("outside the territory")
    return _("group %(number)d: %(where)s, %(right)s") % {
        "number": group + 1,
        "where": where,
        "right": right,
    }


@login_required
@require_GET
def application(request: HttpRequest, application_id: int) -> HttpResponse:
    """One application: its status, the result with the reasons, the offer to answer."""
    user = _account(request)
    try:
        found = selectors.application_get(user=user, application_id=application_id)
    except NotFound as exc:
        raise Http404 from exc
    published = found.round.status == Round.Status.PUBLISHED
    results = selectors.results_of(found) if published else []
    return render(
        request,
        "education/application.html",
        {
            "application": found,
            "published": published,
            "results": [
                {
                    "row": row,
                    "group": _group_text(row.choice.group),
                    "cutoff_group": _group_text(row.cutoff.group if row.cutoff else None),
                }
                for row in results
            ],
            "offer": selectors.offer_live(found),
            "can_change": selectors.round_accepts(found.round)
            and found.status == Application.Status.SUBMITTED,
            "is_guardian": selectors.is_guardian(user=user, child=found.child),
        },
    )


def _act(request: HttpRequest, done: str, act: Any) -> None:
    try:
        act()
    except (ApplicationError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", _("You may not do this.")))
    else:
        messages.success(request, done)


@login_required
@require_POST
def application_withdraw(request: HttpRequest, application_id: int) -> HttpResponse:
    user = _account(request)
    try:
        found = selectors.application_get(user=user, application_id=application_id)
    except NotFound as exc:
        raise Http404 from exc
    _act(
        request,
        _("The application is withdrawn."),
        lambda: services.application_withdraw(application=found, user=user),
    )
    return redirect("education:application", found.pk)


@login_required
@require_POST
def offer_answer(request: HttpRequest, offer_id: int) -> HttpResponse:
    user = _account(request)
    offer = Offer.objects.filter(
        pk=offer_id, application__in=selectors.applications_for(user)
    ).first()
    if offer is None:
        raise Http404
    if request.POST.get("answer") == "accept":
        _act(
            request,
            _("The place is accepted."),
            lambda: services.offer_accept(offer=offer, user=user),
        )
    elif request.POST.get("answer") == "decline":
        _act(
            request,
            _("The place is declined and passed on to the next child on the waiting list."),
            lambda: services.offer_decline(offer=offer, user=user),
        )
    else:
        messages.error(request, _("Choose to accept or to decline."))
    return redirect("education:application", offer.application_id)


@require_GET
def rounds(request: HttpRequest) -> HttpResponse:
    """Every round with its status, and for a run round what anyone needs to re-run it."""
    listed = selectors.rounds_list().prefetch_related("runs")
    return render(request, "education/rounds.html", {"rounds": listed})


def _official_round(request: HttpRequest) -> tuple[list[Round], Round | None]:
    listed = list(selectors.rounds_list())
    wanted = request.GET.get("round")
    chosen = next((r for r in listed if str(r.pk) == wanted), None)
    if chosen is None:
        chosen = next((r for r in listed if r.seed is not None), listed[0] if listed else None)
    return listed, chosen


def _school_admin_institution(request: HttpRequest) -> Any:
    user = _account(request)
    institutions = list(selectors.institutions_for(user))
    official = official_for(user)
    if not (
        user.is_superuser or (official and official.role in {Role.SCHOOL_ADMIN, Role.CITY_ADMIN})
    ):
        raise PermissionDenied
    wanted = request.GET.get("institution")
    chosen = next((i for i in institutions if str(i.pk) == wanted), None)
    return institutions, chosen or (institutions[0] if institutions else None)


@login_required
@require_GET
def admitted(request: HttpRequest) -> HttpResponse:
    """The school administrator's list: children offered or holding a place there."""
    institutions, institution = _school_admin_institution(request)
    listed, round_ = _official_round(request)
    offers = (
        list(selectors.admitted_list(user=request.user, institution=institution, round_=round_))
        if institution is not None
        else []
    )
    return render(
        request,
        "education/admitted.html",
        {
            "institutions": institutions,
            "institution": institution,
            "rounds": listed,
            "round": round_,
            "offers": offers,
        },
    )


@login_required
@require_GET
def admitted_csv(request: HttpRequest) -> HttpResponse:
    _institutions, institution = _school_admin_institution(request)
    _listed, round_ = _official_round(request)
    if institution is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="admitted-{institution.pk}.csv"'
    response.write("\ufeff")  # so spreadsheet programs read the Cyrillic names as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [_("Programme"), _("Child"), _("Date of birth"), _("Guardian"), _("Status"), _("Answer by")]
    )
    for offer in selectors.admitted_list(user=request.user, institution=institution, round_=round_):
        writer.writerow(
            [
                offer.programme.name,
                offer.application.child.full_name,
                offer.application.child.birth_date.isoformat(),
                offer.application.guardian.full_name,
                offer.get_status_display(),
                offer.expires_at.date().isoformat(),
            ]
        )
    return response


@login_required
@require_GET
def demand(request: HttpRequest) -> HttpResponse:
    """Applications against places per district, as a table and on a map."""
    user = _account(request)
    official = official_for(user)
    allowed = {Role.EDUCATION_OFFICER, Role.CITY_ADMIN, Role.ANALYST}
    if not (user.is_superuser or (official and official.role in allowed)):
        raise PermissionDenied
    listed, round_ = _official_round(request)
    rows = selectors.demand_by_district(round_=round_, user=user) if round_ else []
    features = [
        {
            "type": "Feature",
            "geometry": row.district.boundary,
            "properties": {
                "name": row.district.name,
                "applicants": row.applicants,
                "first_choices": row.first_choices,
                "places": row.places,
                "ratio": row.ratio,
            },
        }
        for row in rows
        if row.district.boundary
    ]
    return render(
        request,
        "education/demand.html",
        {
            "rounds": listed,
            "round": round_,
            "rows": sorted(rows, key=lambda r: -(r.ratio or 0)),
            "map": {"type": "FeatureCollection", "features": features} if features else None,
        },
    )


@login_required
@require_GET
def claims(request: HttpRequest) -> HttpResponse:
    """The priority documents an official checks, the pending ones first."""
    user = _account(request)
    if official_for(user) is None and not user.is_superuser:
        raise PermissionDenied
    return render(
        request, "education/claims.html", {"claims": list(selectors.claims_to_review(user)[:200])}
    )


@login_required
@require_POST
def claim_review(request: HttpRequest, claim_id: int) -> HttpResponse:
    user = _account(request)
    claim = selectors.claims_to_review(user).filter(pk=claim_id).first()
    if claim is None:
        raise Http404
    verdict = request.POST.get("verdict")
    if verdict not in {"verify", "reject"}:
        messages.error(request, _("Choose to verify or to reject the document."))
    else:
        _act(
            request,
            _("The document check is recorded."),
            lambda: services.claim_review(claim=claim, user=user, verified=verdict == "verify"),
        )
    return redirect("education:claims")
