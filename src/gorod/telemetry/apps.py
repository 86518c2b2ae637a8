from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# What an operator of the meters works with; city-wide roles read it too.
_OPERATOR = [
    "telemetry.view_device",
    "telemetry.view_devicestate",
    "telemetry.view_deadletter",
    "telemetry.view_ingeststat",
    "telemetry.view_rule",
    "telemetry.view_alarm",
    "telemetry.change_alarm",
]
_READER = ["telemetry.view_device", "telemetry.view_alarm", "telemetry.view_ingeststat"]
_TELEMETRY_ROLES = ["utility_operator", "city_admin", "analyst", "auditor"]


class TelemetryConfig(AppConfig):
    name = "gorod.telemetry"
    label = "telemetry"
    verbose_name = _("Telemetry")
    demo_prepare = "gorod.telemetry.demo.demo_prepare"
    demo_children = "gorod.telemetry.demo.demo_children"

    official_tiles = [
        {
            "title": _("Alarms"),
            "url_name": "telemetry:alarms",
            "description": _("Leaks, silent devices, tampering: acknowledge and clear."),
            "roles": _TELEMETRY_ROLES,
        },
        {
            "title": _("Devices"),
            "url_name": "telemetry:devices",
            "description": _("Meters and sensors: search, status, charts of each metric."),
            "roles": _TELEMETRY_ROLES,
        },
        {
            "title": _("Ingestion status"),
            "url_name": "telemetry:status",
            "description": _("Readings per second, lag and what was refused."),
            "roles": ["utility_operator", "city_admin", "device_integrator"],
        },
    ]
    role_permissions = {
        "utility_operator": _OPERATOR,
        "city_admin": [*_OPERATOR, "telemetry.add_rule", "telemetry.change_rule"],
        "analyst": _READER,
        "auditor": [*_READER, "telemetry.view_deadletter"],
        "device_integrator": [
            "telemetry.view_device",
            "telemetry.view_deadletter",
            "telemetry.view_ingeststat",
        ],
    }

    def ready(self) -> None:
        from gorod.telemetry import conf

        conf.storage_options()  # a malformed GOROD_TELEMETRY_STORAGE_OPTIONS stops the start
