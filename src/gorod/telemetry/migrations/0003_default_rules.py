"""The city's default alarm rules, for every device type and district (operators edit them)."""

from typing import Any

from django.db import migrations

DAY = 24 * 3600

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "name": "Возможная утечка холодной воды: расход не прекращается сутки",
        "kind": "persistence",
        "metric": "water_cold_m3",
        "params": {"op": "above", "value": 0, "duration_s": DAY, "on": "increase"},
        "severity": "critical",
    },
    {
        "name": "Возможная утечка горячей воды: расход не прекращается сутки",
        "kind": "persistence",
        "metric": "water_hot_m3",
        "params": {"op": "above", "value": 0, "duration_s": DAY, "on": "increase"},
        "severity": "critical",
    },
    {
        "name": "Возможная утечка: поток не опускается до нуля сутки",
        "kind": "persistence",
        "metric": "flow_lph",
        "params": {"op": "above", "value": 0, "duration_s": DAY},
        "severity": "critical",
    },
    {
        "name": "Возможный прорыв трубы: холодная вода быстрее 0,3 м³ в час",
        "kind": "rate",
        "metric": "water_cold_m3",
        "params": {"op": "above", "per_hour": 0.3, "window_s": 2 * 3600},
        "severity": "critical",
    },
    {
        "name": "Вмешательство в счётчик",
        "kind": "flag",
        "metric": "tamper",
        "params": {"value": 1, "hold_s": 2 * 3600},
        "severity": "critical",
    },
    {
        "name": "Батарея разряжена (ниже 20 %)",
        "kind": "threshold",
        "metric": "battery_pct",
        "params": {"op": "below", "value": 20, "clear_value": 25},
        "severity": "warning",
    },
    {
        "name": "Нет данных 6 часов",
        "kind": "silence",
        "metric": "",
        "params": {"after_s": 6 * 3600},
        "severity": "warning",
    },
    {
        "name": "PM2,5 выше 75 мкг/м³",
        "kind": "threshold",
        "metric": "pm25_ugm3",
        "params": {"op": "above", "value": 75, "clear_value": 50},
        "severity": "warning",
    },
    {
        "name": "Шум выше 85 дБ",
        "kind": "threshold",
        "metric": "noise_db",
        "params": {"op": "above", "value": 85, "clear_value": 80},
        "severity": "info",
    },
]


def create(apps: Any, schema_editor: Any) -> None:
    rule = apps.get_model("telemetry", "Rule")
    for fields in DEFAULT_RULES:
        rule.objects.get_or_create(name=fields["name"], defaults=fields)


def remove(apps: Any, schema_editor: Any) -> None:
    rule = apps.get_model("telemetry", "Rule")
    rule.objects.filter(name__in=[r["name"] for r in DEFAULT_RULES], alarms__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("telemetry", "0002_rules_and_alarms")]

    operations = [migrations.RunPython(create, remove)]
