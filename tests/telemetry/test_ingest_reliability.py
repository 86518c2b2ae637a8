"""``gorod ingest`` processes against a private Mosquitto, a database and a table of their own.

(a) SIGKILL ten times while a known stream arrives: afterwards every reading is in the table
exactly once as queries count it, none lost; (b) two workers on one shared subscription
store each reading once; (c) malformed messages of every kind become dead letters with
their reason and the worker keeps running.
"""

from __future__ import annotations

import json
import random
import signal
import time
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from gorod.telemetry import table
from gorod.telemetry.bench import BASE_TS_MS, Stage, device_payload, migrated_database, stage
from gorod.telemetry.mqtt import DEVICE_TOPIC, mosquitto_available

pytestmark = pytest.mark.services

FAST = ("--batch-messages=20", "--batch-ms=50", "--stats-seconds=1")


@pytest.fixture(scope="module")
def database() -> Iterator[dict[str, str]]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    with migrated_database(prefix="gorod_ingest_test") as env:
        yield env


@pytest.fixture
def running(database: dict[str, str]) -> Iterator[Stage]:
    # Workers forked from one preloaded interpreter: a restart takes a fraction of a second.
    with stage(database=database, preload=True) as ready:
        yield ready


def _send(running: Stage, messages: list[tuple[str, bytes]]) -> None:
    """Publish at QoS 1 and wait until the broker has every message."""
    client = _publisher(running)
    for info in [client.publish(topic, payload, qos=1) for topic, payload in messages]:
        info.wait_for_publish(timeout=30)
    client.disconnect()
    client.loop_stop()


def _publisher(running: Stage) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    client.connect(running.broker.host, running.broker.port)
    client.loop_start()
    return client


def _stream(devices: list[str], messages: int, per_message: int) -> list[tuple[str, bytes]]:
    """Message n carries readings n*per_message… of device n % len(devices), one second apart."""
    return [
        (
            DEVICE_TOPIC.format(device_id=devices[n % len(devices)]),
            device_payload(
                [
                    ("water_cold_m3", BASE_TS_MS + (n * per_message + k) * 1000, float(n))
                    for k in range(per_message)
                ]
            ),
        )
        for n in range(messages)
    ]


def _stored(running: Stage) -> list[tuple[str, int, float]]:
    with table.connect(running.table_uri) as con:
        rows = con.execute(
            "SELECT device_id, epoch_ms(ts), value FROM readings ORDER BY ALL"
        ).fetchall()
    return [(d, int(ts), float(v)) for d, ts, v in rows]


def _expected(devices: list[str], messages: int, per_message: int) -> list[tuple[str, int, float]]:
    return sorted(
        (devices[n % len(devices)], BASE_TS_MS + (n * per_message + k) * 1000, float(n))
        for n in range(messages)
        for k in range(per_message)
    )


def test_a_worker_killed_ten_times_loses_nothing_and_counts_each_reading_once(
    running: Stage,
) -> None:
    devices = running.provision("kill", 20)
    messages, per_message = 600, 5
    stream = _stream(devices, messages, per_message)
    worker = running.worker_start("killed", *FAST)
    publisher = _publisher(running)
    rng = random.Random(4)
    sent = 0
    kills = 0
    while kills < 10:
        # Keep the stream flowing while the worker runs, then kill it mid-batch.
        until = min(messages, sent + messages // 12)
        for topic, payload in stream[sent:until]:
            publisher.publish(topic, payload, qos=1)
        sent = until
        time.sleep(rng.uniform(0.6, 1.5))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        kills += 1
        worker = running.worker_start("killed", *FAST)
    for topic, payload in stream[sent:]:
        publisher.publish(topic, payload, qos=1).wait_for_publish(timeout=30)
    publisher.disconnect()
    publisher.loop_stop()
    expected = _expected(devices, messages, per_message)
    assert running.wait_for(len(expected), timeout=40) == len(expected)
    running.workers_stop()
    assert _stored(running) == expected
    assert running.count(raw=True) >= len(expected)  # redelivered ones are stored again …
    assert running.count() == len(expected)  # … and counted once
    assert running.dead_letters() == []


def test_two_workers_on_one_shared_subscription_store_each_reading_once(running: Stage) -> None:
    devices = running.provision("pair", 10)
    messages, per_message = 400, 3
    running.worker_start("left", *FAST)
    running.worker_start("right", *FAST)
    _send(running, _stream(devices, messages, per_message))
    expected = _expected(devices, messages, per_message)
    assert running.wait_for(len(expected), timeout=40) == len(expected)
    running.workers_stop()
    assert _stored(running) == expected
    assert running.count(raw=True) == len(expected)
    handled = [_messages_handled(running.worker_log(name), name) for name in ("left", "right")]
    assert sum(handled) == messages
    assert min(handled) > 0  # the group shared the load


def _messages_handled(log: str, client_id: str) -> int:
    marker = f"worker {client_id} stopped: "
    for line in log.splitlines():
        if marker in line:
            return int(line.split(marker, 1)[1].split()[0])
    raise AssertionError(log)


def test_malformed_messages_become_dead_letters_and_the_worker_keeps_running(
    running: Stage,
) -> None:
    (device,) = running.provision("bad", 1)
    now_ms = int(time.time() * 1000)
    topic = DEVICE_TOPIC.format(device_id=device)
    reading = {"metric": "water_cold_m3", "ts": now_ms, "value": 1.5}
    malformed = [
        (topic, b"{not json", "bad_json"),
        (topic, b'{"values": []}', "bad_shape"),
        (
            DEVICE_TOPIC.format(device_id="nobody-0001"),
            device_payload([("water_cold_m3", now_ms, 1.0)]),
            "unknown_device",
        ),
        (topic, json.dumps({"readings": [{**reading, "value": "many"}]}).encode(), "bad_type"),
        (
            topic,
            json.dumps({"readings": [{**reading, "value": float("nan")}]}).encode(),
            "not_finite",
        ),
        (
            topic,
            json.dumps({"readings": [{**reading, "ts": now_ms + 10**10}]}).encode(),
            "future_time",
        ),
        (
            topic,
            json.dumps({"readings": [{**reading, "metric": "pm25_ugm3"}]}).encode(),
            "metric_not_allowed",
        ),
        (topic, b'{"readings": [' + b" " * 1_100_000 + b"]}", "oversize"),
        ("gorod/v1/devices/not a device!/telemetry", b"{}", "wrong_topic"),
    ]
    worker = running.worker_start("patient", *FAST)
    good = (topic, device_payload([("water_cold_m3", now_ms, 2.5)]))
    _send(running, [(bad_topic, payload) for bad_topic, payload, _reason in malformed] + [good])
    assert running.wait_for(1, timeout=30) == 1, running.worker_log("patient")
    deadline = time.monotonic() + 10
    letters = running.dead_letters()
    while len(letters) < len(malformed) and time.monotonic() < deadline:
        time.sleep(0.2)
        letters = running.dead_letters()
    assert worker.poll() is None  # still running
    assert sorted(reason for reason, *_rest in letters) == sorted(r for *_m, r in malformed)
    assert all(topic_of for _reason, _device, topic_of, _count in letters)
    assert _stored(running) == [(device, now_ms, 2.5)]
