from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QueuesConfig(AppConfig):
    name = "gorod.queues"
    label = "queues"
    verbose_name = _("Queues")

    # Read by the portal: the offices list for everyone, the counter and the figures for
    # the office's staff.
    public_tiles = [
        {
            "title": _("Offices and queues"),
            "url_name": "queues:offices",
            "description": _("Registry offices and service centres: kiosk and hall board."),
        },
    ]
    official_tiles = [
        {
            "title": _("My counter"),
            "url_name": "queues:counters",
            "description": _("Call the next visitor, recall, transfer, finish."),
            "roles": ["registry_clerk", "office_head"],
        },
        {
            "title": _("Queue figures"),
            "url_name": "queues:my-office",
            "description": _("Today's queue and the counters each hour needs."),
            "roles": ["office_head"],
        },
    ]
    demo_prepare = "gorod.queues.demo.demo_prepare"
    role_permissions = {
        "registry_clerk": ["queues.view_ticket", "queues.view_counter"],
        "office_head": [
            "queues.view_ticket",
            "queues.view_counter",
            "queues.change_counter",
            "queues.view_shift",
            "queues.add_shift",
            "queues.change_shift",
            "queues.view_queueservice",
            "queues.change_queueservice",
        ],
    }
