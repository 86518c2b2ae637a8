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
    official_tiles = [
        {
            "title": _("Appointments"),
            "url_name": "scheduling:office",
            "description": _("Who is booked at your office, day by day."),
            "roles": ["registry_clerk", "office_head"],
        },
    ]
    # The back office: clerks look at their office's bookings; office heads keep its calendars.
    role_permissions = {
        "registry_clerk": [
            "scheduling.view_booking",
            "scheduling.view_slot",
            "scheduling.view_resource",
        ],
        "office_head": [
            "scheduling.view_booking",
            "scheduling.view_slot",
            "scheduling.view_resource",
            "scheduling.change_resource",
            "scheduling.view_workinghours",
            "scheduling.add_workinghours",
            "scheduling.change_workinghours",
            "scheduling.delete_workinghours",
            "scheduling.view_break",
            "scheduling.add_break",
            "scheduling.change_break",
            "scheduling.delete_break",
            "scheduling.view_service",
        ],
        "city_admin": [
            "scheduling.view_service",
            "scheduling.add_service",
            "scheduling.change_service",
            "scheduling.view_calendarexception",
            "scheduling.add_calendarexception",
            "scheduling.change_calendarexception",
            "scheduling.delete_calendarexception",
            "scheduling.view_resource",
            "scheduling.add_resource",
            "scheduling.change_resource",
            "scheduling.view_booking",
            "scheduling.view_slot",
        ],
    }
    demo_prepare = "gorod.scheduling.demo.demo_prepare"
    demo_children = "gorod.scheduling.demo.demo_children"
