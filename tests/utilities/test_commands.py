"""``gorod utilities close-month`` and ``scan``: bad input is exit 2 and changes nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gorod.people.models import Citizen
from gorod.utilities.models import Bill, Reading
from tests.utilities.factories import meter_for

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("utilities", *args, stdout=out)
    return out.getvalue()


def test_close_month_estimates_and_bills(resident: Citizen) -> None:
    meter_for(resident.apartment)
    counts = json.loads(_run("close-month", "--month", "2026-01", "--json"))
    assert (counts["bills"], counts["estimated"]) == (1, 1)
    assert Bill.objects.count() == 1


@pytest.mark.parametrize(
    "args",
    [
        ["close-month", "--month", "2026-13"],
        ["close-month", "--month", "january"],
        ["close-month", "--month", "2099-01"],
        ["close-month", "--district", "999999"],
        ["scan", "--days", "0"],
        ["scan", "--district", "999999"],
    ],
    ids=["month-13", "month-words", "window-open", "no-district", "no-days", "scan-no-district"],
)
def test_bad_input_is_exit_2_and_changes_nothing(resident: Citizen, args: list[str]) -> None:
    meter_for(resident.apartment)
    with pytest.raises(CommandError) as caught:
        _run(*args)
    assert caught.value.returncode == 2
    assert args[1] in str(caught.value)
    assert not Reading.objects.exists()
    assert not Bill.objects.exists()
