"""MQTT plumbing shared by the ingest worker, the demo and the benchmark.

Topics, the broker's address (``MQTT_URL``), and a private Mosquitto on a free port for
tests and benchmarks, so they never share a broker (or a shared-subscription group) with
anyone else. No Django import: the settings are read from the environment.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

DEVICE_TOPIC = "gorod/v1/devices/{device_id}/telemetry"
GATEWAY_TOPIC = "gorod/v1/gateways/{gateway_id}/telemetry"
SHARE_GROUP = "gorod-ingest"
DEFAULT_URL = "mqtt://127.0.0.1:1883"
MOSQUITTO = "mosquitto"

_TOPIC = re.compile(r"^gorod/v1/(devices|gateways)/([A-Za-z0-9][A-Za-z0-9._:-]{0,127})/telemetry$")

Kind = Literal["device", "gateway"]


class BrokerUrlError(ValueError):
    """``MQTT_URL`` is not an ``mqtt://`` or ``mqtts://`` address."""


@dataclass(frozen=True)
class Broker:
    """Where the broker is and how to speak to it."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    # MQTT 5 brings shared subscriptions and session expiry; amqtt speaks 3.1.1 only.
    mqtt5: bool = True

    @property
    def url(self) -> str:
        scheme = "mqtts" if self.tls else "mqtt"
        return f"{scheme}://{self.host}:{self.port}"


def broker_parse(url: str, *, mqtt5: bool = True) -> Broker:
    """``mqtt://[user[:password]@]host[:port]`` (``mqtts://`` for TLS) → :class:`Broker`."""
    parts = urlsplit(url)
    if parts.scheme not in {"mqtt", "mqtts"} or not parts.hostname:
        raise BrokerUrlError(f"an MQTT broker address looks like mqtt://host:1883, not {url!r}")
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    except ValueError as exc:
        raise BrokerUrlError(f"the port in {url!r} is not a number from 1 to 65535") from exc
    return Broker(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        tls=parts.scheme == "mqtts",
        mqtt5=mqtt5,
    )


def broker_from_environment() -> Broker:
    """The configured broker: ``MQTT_URL`` and ``MQTT_PROTOCOL`` (``5`` or ``3.1.1``)."""
    protocol = os.environ.get("MQTT_PROTOCOL", "5").strip()
    if protocol not in {"5", "3.1.1"}:
        raise BrokerUrlError(f"MQTT_PROTOCOL must be 5 or 3.1.1, not {protocol!r}")
    return broker_parse(os.environ.get("MQTT_URL") or DEFAULT_URL, mqtt5=protocol == "5")


def topic_route(topic: str) -> tuple[Kind, str] | None:
    """``gorod/v1/devices/wm-1/telemetry`` → ``("device", "wm-1")``; None for any other."""
    match = _TOPIC.match(topic)
    if match is None:
        return None
    return ("device" if match[1] == "devices" else "gateway"), match[2]


def subscriptions(*, shared: bool) -> list[str]:
    """The worker's topic filters: one shared group so N workers split the stream."""
    filters = [
        DEVICE_TOPIC.format(device_id="+"),
        GATEWAY_TOPIC.format(gateway_id="+"),
    ]
    return [f"$share/{SHARE_GROUP}/{f}" for f in filters] if shared else filters


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def wait_listening(host: str, port: int, *, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def mosquitto_available() -> bool:
    return shutil.which(MOSQUITTO) is not None or Path("/usr/sbin/mosquitto").exists()


MOSQUITTO_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
# Sessions of stopped workers keep every message until they come back: the default
# (1000 queued, 20 in flight) silently drops QoS 1 messages beyond it.
max_queued_messages 0
max_queued_bytes 0
max_inflight_messages 0
message_size_limit 0
log_dest stderr
log_type error
log_type warning
"""


@contextlib.contextmanager
def private_mosquitto(port: int | None = None) -> Iterator[Broker]:
    """A Mosquitto of our own on a free (or the given) 127.0.0.1 port, stopped on exit."""
    binary = shutil.which(MOSQUITTO) or "/usr/sbin/mosquitto"
    with tempfile.TemporaryDirectory(prefix="gorod_mosquitto_") as directory:
        port = port or free_port()
        conf = Path(directory) / "mosquitto.conf"
        conf.write_text(MOSQUITTO_CONF.format(port=port))
        log = (Path(directory) / "mosquitto.log").open("wb")
        # S603: the system's mosquitto with a configuration we just wrote.
        process = subprocess.Popen(  # noqa: S603
            [binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            if not wait_listening("127.0.0.1", port):
                raise RuntimeError(
                    "mosquitto did not start: "
                    + (Path(directory) / "mosquitto.log").read_text(errors="replace")
                )
            yield Broker(host="127.0.0.1", port=port)
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
