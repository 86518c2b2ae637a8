"""Russia's production calendar for 2026 (government decree No. 1466 of 24 September 2025):
the weekdays off, with the transfers of 3 January to 9 January and of 4 January to
31 December, and the pre-holiday days shortened by one hour."""

import datetime as dt

from django.db import migrations

HOLIDAYS = {
    dt.date(2026, 1, 1): "Новогодние каникулы",
    dt.date(2026, 1, 2): "Новогодние каникулы",
    dt.date(2026, 1, 3): "Новогодние каникулы",
    dt.date(2026, 1, 4): "Новогодние каникулы",
    dt.date(2026, 1, 5): "Новогодние каникулы",
    dt.date(2026, 1, 6): "Новогодние каникулы",
    dt.date(2026, 1, 7): "Рождество Христово",
    dt.date(2026, 1, 8): "Новогодние каникулы",
    dt.date(2026, 1, 9): "Перенос выходного дня с 3 января",
    dt.date(2026, 2, 23): "День защитника Отечества",
    dt.date(2026, 3, 9): "Международный женский день (перенос с 8 марта)",
    dt.date(2026, 5, 1): "Праздник Весны и Труда",
    dt.date(2026, 5, 11): "День Победы (перенос с 9 мая)",
    dt.date(2026, 6, 12): "День России",
    dt.date(2026, 11, 4): "День народного единства",
    dt.date(2026, 12, 31): "Перенос выходного дня с 4 января",
}
SHORT_DAYS = {
    dt.date(2026, 4, 30): "Предпраздничный день",
    dt.date(2026, 5, 8): "Предпраздничный день",
    dt.date(2026, 6, 11): "Предпраздничный день",
    dt.date(2026, 11, 3): "Предпраздничный день",
}


def seed(apps, schema_editor):
    CalendarException = apps.get_model("scheduling", "CalendarException")
    rows = [CalendarException(date=d, kind="holiday", name=n) for d, n in HOLIDAYS.items()]
    rows += [
        CalendarException(date=d, kind="short", hours_shorter=1, name=n)
        for d, n in SHORT_DAYS.items()
    ]
    CalendarException.objects.bulk_create(rows)


def unseed(apps, schema_editor):
    CalendarException = apps.get_model("scheduling", "CalendarException")
    dates = [*HOLIDAYS, *SHORT_DAYS]
    CalendarException.objects.filter(resource__isnull=True, date__in=dates).delete()


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
