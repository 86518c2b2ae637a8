from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UtilitiesConfig(AppConfig):
    name = "gorod.utilities"
    label = "utilities"
    verbose_name = _("Utilities")

    citizen_tiles = [
        {
            "title": _("My meters"),
            "url_name": "utilities:meters",
            "description": _("Submit water, heat and electricity readings; see your bills."),
        },
    ]
    official_tiles = [
        {
            "title": _("Meter alerts"),
            "url_name": "utilities:alerts",
            "description": _("Leaks, stuck or tampered meters found by the detectors."),
            "roles": ["utility_operator", "auditor", "city_admin"],
        },
        {
            "title": _("Meter readings by district"),
            "url_name": "utilities:districts",
            "description": _("The month's readings: submitted, smart, estimated, rejected."),
            "roles": ["utility_operator", "analyst", "auditor", "city_admin"],
        },
    ]
    role_permissions = {
        "utility_operator": [
            "utilities.view_meter",
            "utilities.view_reading",
            "utilities.view_bill",
            "utilities.view_tariff",
            "utilities.view_alert",
            "utilities.change_alert",
        ],
        "analyst": ["utilities.view_alert"],
        "auditor": ["utilities.view_alert", "utilities.view_reading"],
        "city_admin": [
            "utilities.view_alert",
            "utilities.view_tariff",
            "utilities.add_tariff",
            "utilities.change_tariff",
        ],
    }
    audit_actions = {"utilities.alert.decide": _("decided on a meter alert")}
    demo_prepare = "gorod.utilities.demo.demo_prepare"
