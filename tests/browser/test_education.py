"""Enrolment in a real browser: a parent applies, reads the result and answers the offer; a
school exports its admitted list; a district officer reads the demand map. axe-core finds no
serious violation on any of these pages."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from gorod.education.models import Application, Offer
from gorod.people.models import Role
from tests.browser.helpers import assert_accessible, sign_in, use_language
from tests.education.factories import ProgrammeFactory, RoundFactory, decided_round, kid_of
from tests.people.factories import CitizenFactory, OfficialFactory, account, district_official

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_parent_applies_with_ranked_choices(
    page: Any, live_server: Any, output_dir: Path, language: str
) -> None:
    parent = CitizenFactory.create()
    child = kid_of(parent)
    round_ = RoundFactory.create()
    first = ProgrammeFactory.create(name="Группа «Солнышко»")
    second = ProgrammeFactory.create(name="Группа «Ромашка»")
    sign_in(page, live_server.url, account(parent))
    use_language(page, live_server.url, language)

    page.goto(reverse("education:apply"))
    assert_accessible(page, output_dir, f"education-apply-{language}")
    page.locator(f"a[href='{reverse('education:apply-form', args=[child.pk, round_.pk])}']").click()
    page.select_option("#id_choice_1", str(second.pk))
    page.select_option("#id_choice_2", str(first.pk))
    page.check("#id_priority")
    page.fill("#id_document", "Справка № 17")
    assert_accessible(page, output_dir, f"education-apply-form-{language}")
    page.locator("form.stacked button[type=submit]").click()

    page.wait_for_url("**/education/applications/*/")
    application = Application.objects.get()
    assert [c.programme_id for c in application.choices.all()] == [second.pk, first.pk]
    assert page.locator("table.results tbody tr").count() == 2
    assert_accessible(page, output_dir, f"education-application-{language}")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_family_reads_why_not_and_accepts_the_place(
    page: Any, live_server: Any, output_dir: Path, language: str
) -> None:
    _round, popular, applications = decided_round(families=4)
    loser = next(a for a in applications if a.assigned != popular)
    sign_in(page, live_server.url, account(loser.guardian))
    use_language(page, live_server.url, language)

    page.goto(reverse("education:application", args=[loser.pk]))
    first_row = page.locator("table.results tbody tr").first
    assert ("жеребьёвки" in first_row.inner_text()) or ("lottery" in first_row.inner_text())
    assert_accessible(page, output_dir, f"education-result-{language}")
    page.locator("button[value=accept]").click()
    page.wait_for_load_state()
    assert Offer.objects.get(application=loser, status__in=["offered", "accepted"]).status == (
        "accepted"
    )


def test_a_school_administrator_exports_the_admitted_list(
    page: Any, live_server: Any, output_dir: Path
) -> None:
    _round, popular, applications = decided_round()
    admin = OfficialFactory.create(role=Role.SCHOOL_ADMIN, institution=popular.institution)
    holder = next(a for a in applications if a.assigned == popular)
    sign_in(page, live_server.url, admin.user)

    page.goto(reverse("education:admitted"))
    assert holder.child.full_name in page.locator("table").inner_text()
    assert_accessible(page, output_dir, "education-admitted")
    with page.expect_download() as download:
        page.locator(f"a[href^='{reverse('education:admitted-csv')}']").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[1] for row in rows[1:]] == [holder.child.full_name]


def test_the_district_officer_sees_the_demand_map(
    page: Any, live_server: Any, output_dir: Path
) -> None:
    _round, popular, _applications = decided_round(families=5)
    officer = district_official(Role.EDUCATION_OFFICER, district=popular.institution.district)
    sign_in(page, live_server.url, officer.user)
    use_language(page, live_server.url, "en")

    page.goto(reverse("education:demand"))
    page.locator("#demand-map .leaflet-interactive").first.wait_for()
    assert popular.institution.district.name in page.locator("table").inner_text()
    assert_accessible(page, output_dir, "education-demand")


def test_the_rounds_page_is_accessible_on_a_phone(
    page: Any, live_server: Any, output_dir: Path
) -> None:
    decided_round()
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(reverse("education:rounds"))
    assert_accessible(page, output_dir, "education-rounds-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
