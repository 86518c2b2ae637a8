"""``gorod ingest`` refuses bad options with exit code 2 before it connects to anything."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


@pytest.mark.parametrize(
    ("option", "named"),
    [
        pytest.param("--batch-messages=0", "--batch-messages", id="no-messages"),
        pytest.param("--batch-bytes=many", "--batch-bytes", id="bytes-not-a-number"),
        pytest.param("--batch-ms=-5", "--batch-ms", id="negative-wait"),
        pytest.param("--receive-maximum=70000", "--receive-maximum", id="over-mqtt-limit"),
        pytest.param("--stats-seconds=nan", "--stats-seconds", id="nan-window"),
        pytest.param("--session-expiry=0", "--session-expiry", id="no-session"),
        pytest.param("--url=http://broker:1883", "mqtt://", id="not-mqtt"),
        pytest.param("--url=mqtt://broker:99999", "port", id="port-out-of-range"),
        pytest.param("--id=" + "w" * 201, "--id", id="id-too-long"),
    ],
)
def test_a_bad_option_is_exit_2_naming_it(option: str, named: str) -> None:
    with pytest.raises(CommandError) as raised:
        call_command("ingest", option)
    assert raised.value.returncode == 2
    assert named in str(raised.value)


def test_a_bad_mqtt_protocol_setting_is_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQTT_PROTOCOL", "4")
    with pytest.raises(CommandError) as raised:
        call_command("ingest")
    assert raised.value.returncode == 2
    assert "MQTT_PROTOCOL" in str(raised.value)
