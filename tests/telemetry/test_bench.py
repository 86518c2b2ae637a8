"""``gorod bench ingest``: a tiny run through a private Mosquitto and gunicorn."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from gorod.telemetry.bench import BASE_TS_MS, device_payload, gateway_payload
from gorod.telemetry.mqtt import mosquitto_available


def test_payloads_are_the_documented_json() -> None:
    assert json.loads(device_payload([("water_cold_m3", BASE_TS_MS, 1.5)])) == {
        "readings": [{"metric": "water_cold_m3", "ts": BASE_TS_MS, "value": 1.5}]
    }
    assert json.loads(gateway_payload({"wm-1": [("flow_lph", 5, 0.0)], "wm-2": []})) == {
        "devices": {"wm-1": [{"metric": "flow_lph", "ts": 5, "value": 0.0}], "wm-2": []}
    }


@pytest.mark.services
def test_a_tiny_run_stores_every_reading_it_sends_and_prints_figures() -> None:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    out = io.StringIO()
    call_command(
        "bench",
        "ingest",
        "--json",
        "--sections=mqtt-batched,http-arrow",
        "--readings=3000",
        "--readings-per-message=100",
        "--devices=50",
        "--workers=1",
        "--publishers=1",
        "--batch-readings=1000",
        "--http-readings=3000",
        "--http-readings-per-request=1000",
        "--http-clients=1",
        "--http-servers=1",
        "--timeout=60",
        stdout=out,
    )
    figures = json.loads(out.getvalue())
    assert figures["mqtt_batched"]["stored"] == 3000
    assert figures["mqtt_batched"]["complete"]
    assert figures["mqtt_batched"]["readings_per_second"] > 0
    # The warm-up request stores the first 1000; the timed ones add the other 2000.
    assert figures["http_arrow"]["stored_new"] == 2000
    assert figures["http_arrow"]["failed_clients"] == 0


def test_an_unknown_section_is_refused() -> None:
    with pytest.raises((CommandError, SystemExit)):
        call_command("bench", "ingest", "--sections=mqtt-batched,teleport")
