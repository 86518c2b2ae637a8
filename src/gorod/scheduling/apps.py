from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    name = "gorod.scheduling"
    label = "scheduling"
    verbose_name = _("Scheduling")

    citizen_tiles = [
        {
            "title": _("My bookings"),
            "url_name": "scheduling:bookings",
            "description": _(
                "Book a visit to a registry office or a public service centre; move or cancel it."
            ),
        },
    ]
    demo_prepare = "gorod.scheduling.demo.demo_prepare"
    demo_children = "gorod.scheduling.demo.demo_children"
