"""``gorod utilities remind``: tell residents the submission window is open.

Each resident whose home has a manual meter without this month's reading hears it once a
month, in the cabinet and by e-mail or SMS as they chose. Run it daily in the window.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from gorod.utilities.services import residents_remind

NAME = "remind"
HELP = "remind residents with meters still to read that the submission window is open"


def add_arguments(parser: ArgumentParser) -> None:
    """No options: the window is today's."""


def run(command: BaseCommand, **options: Any) -> None:
    result = residents_remind()
    if not result.window_open:
        command.stdout.write(_("The submission window is closed now."))
        return
    command.stdout.write(_("%(reminded)d residents reminded.") % {"reminded": result.reminded})
