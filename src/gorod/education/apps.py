from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

CATALOGUE = ["programme", "territory", "round"]


class EducationConfig(AppConfig):
    name = "gorod.education"
    label = "education"
    verbose_name = _("Education")

    citizen_tiles = [
        {
            "title": _("Kindergartens, schools and clubs"),
            "url_name": "education:apply",
            "description": _("Apply for your child and follow the result."),
        },
    ]
    public_tiles = [
        {
            "title": _("Enrolment rounds"),
            "url_name": "education:rounds",
            "description": _("Open rounds, and how each round was decided: seed and hashes."),
        },
    ]
    audit_actions = {
        "education.claim.review": _("An official checked a priority document for enrolment"),
    }
    official_tiles = [
        {
            "title": _("Priority documents"),
            "url_name": "education:claims",
            "description": _("Check the documents behind the rights families claim."),
            "roles": ["education_officer", "school_admin", "city_admin"],
        },
        {
            "title": _("Admitted children"),
            "url_name": "education:admitted",
            "description": _("Who has a place at your institution; export as CSV."),
            "roles": ["school_admin"],
        },
        {
            "title": _("Demand and places"),
            "url_name": "education:demand",
            "description": _("Applications against places, district by district, on a map."),
            "roles": ["education_officer", "city_admin", "analyst"],
        },
    ]
    demo_prepare = "gorod.education.demo.demo_prepare"
    demo_children = "gorod.education.demo.demo_children"
    role_permissions = {
        "city_admin": [
            f"education.{verb}_{model}" for model in CATALOGUE for verb in ("view", "add", "change")
        ]
        + ["education.view_run", "education.view_cutoff", "education.view_application"],
        "school_admin": ["education.view_programme", "education.view_territory"],
        "education_officer": [
            "education.view_programme",
            "education.view_territory",
            "education.view_round",
            "education.view_application",
        ],
    }
