"""The worker's MQTT behaviour against a private Mosquitto, with a store that only records.

What matters: a message is acknowledged only after the batch holding it was stored, so a
session that ends early hands the rest to the next session with the same client id;
batches respect their limits; a failing store is retried, never skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence

import aiomqtt
import pytest

from gorod.telemetry.mqtt import (
    Broker,
    BrokerUrlError,
    broker_parse,
    mosquitto_available,
    private_mosquitto,
    subscriptions,
    topic_route,
)
from gorod.telemetry.worker import Outcome, Received, Worker, WorkerOptions

pytestmark = pytest.mark.services


@pytest.fixture
def broker() -> Iterator[Broker]:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    with private_mosquitto() as running:
        yield running


async def _publish(broker: Broker, topics: Sequence[str]) -> None:
    async with aiomqtt.Client(
        broker.host, broker.port, protocol=aiomqtt.ProtocolVersion.V5, max_inflight_messages=500
    ) as client:
        for number, topic in enumerate(topics):
            await client.publish(topic, f"{number}".encode(), qos=1)


def _topics(count: int) -> list[str]:
    return [f"gorod/v1/devices/d-{number}/telemetry" for number in range(count)]


class Recorder:
    def __init__(self, *, fail_first: int = 0, stop_after: int | None = None) -> None:
        self.batches: list[list[Received]] = []
        self.fail_first = fail_first
        self.stop_after = stop_after
        self.worker: Worker | None = None

    def __call__(self, messages: Sequence[Received]) -> Outcome:
        if self.fail_first:
            self.fail_first -= 1
            raise OSError("storage is away")
        self.batches.append(list(messages))
        stored = sum(len(batch) for batch in self.batches)
        if self.stop_after is not None and stored >= self.stop_after and self.worker:
            self.worker.stopping.set()  # as SIGTERM would, from inside the store
        return Outcome(accepted=len(messages))

    @property
    def payloads(self) -> list[bytes]:
        return [message.payload for batch in self.batches for message in batch]


async def _run(options: WorkerOptions, recorder: Recorder, *, until: int) -> None:
    worker = Worker(options, store=recorder)
    recorder.worker = worker

    async def stop_when_done() -> None:
        while len(recorder.payloads) < until and not worker.stopping.is_set():
            await asyncio.sleep(0.02)
        worker.stop()

    await asyncio.wait_for(asyncio.gather(worker.run(), stop_when_done()), timeout=20)


def _options(broker: Broker, **overrides: float) -> WorkerOptions:
    values: dict[str, float] = {"batch_messages": 50, "batch_seconds": 0.05, "stats_seconds": 1}
    values.update(overrides)
    return WorkerOptions(
        client_id="test-worker",
        broker=broker,
        batch_messages=int(values["batch_messages"]),
        batch_seconds=values["batch_seconds"],
        stats_seconds=values["stats_seconds"],
        receive_maximum=int(values.get("receive_maximum", 4000)),
    )


def test_every_message_is_stored_in_batches_no_larger_than_the_limit(broker: Broker) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        worker = Worker(_options(broker), store=recorder)
        recorder.worker = worker
        running = asyncio.ensure_future(worker.run())
        await asyncio.sleep(0.3)  # subscribed
        await _publish(broker, _topics(300))
        while len(recorder.payloads) < 300:
            await asyncio.sleep(0.02)
        worker.stop()
        totals = await asyncio.wait_for(running, timeout=10)
        assert totals.messages == 300
        assert totals.accepted == 300

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    assert sorted(recorder.payloads, key=int) == [str(n).encode() for n in range(300)]
    assert max(len(batch) for batch in recorder.batches) <= 50
    assert {message.topic for batch in recorder.batches for message in batch} == set(_topics(300))


def test_messages_not_yet_stored_come_back_to_the_next_session(broker: Broker) -> None:
    first = Recorder(stop_after=100)
    second = Recorder()

    async def scenario() -> None:
        # A first session subscribes, then the stream arrives while it stores slowly.
        await _run(_options(broker, batch_messages=25), Recorder(), until=0)
        await _publish(broker, _topics(400))
        await _run(_options(broker, batch_messages=25), first, until=400)
        await _run(_options(broker, batch_messages=25), second, until=400 - len(first.payloads))

    asyncio.run(asyncio.wait_for(scenario(), timeout=40))
    assert 100 <= len(first.payloads) < 400
    everything = first.payloads + second.payloads
    assert sorted(everything, key=int) == [str(n).encode() for n in range(400)]


def test_a_failing_store_is_retried_and_nothing_is_skipped(broker: Broker) -> None:
    recorder = Recorder(fail_first=2)

    async def scenario() -> None:
        await _run(_options(broker), Recorder(), until=0)
        await _publish(broker, _topics(40))
        await _run(_options(broker), recorder, until=40)

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    assert sorted(recorder.payloads, key=int) == [str(n).encode() for n in range(40)]


def test_a_worker_reconnects_when_the_broker_comes_back() -> None:
    if not mosquitto_available():
        pytest.skip("mosquitto is not installed")
    recorder = Recorder()

    async def scenario() -> None:
        with private_mosquitto() as first:
            worker = Worker(_options(first, stats_seconds=0.2), store=recorder)
            running = asyncio.ensure_future(worker.run())
            await asyncio.sleep(0.5)
            await _publish(first, _topics(10))
            while len(recorder.payloads) < 10:
                await asyncio.sleep(0.02)
        with private_mosquitto(port=first.port) as again:
            await asyncio.sleep(2.0)  # the worker's back-off, then its new subscription
            await _publish(again, _topics(10))
            while len(recorder.payloads) < 20:
                await asyncio.sleep(0.02)
            worker.stop()
            await running

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    assert sorted(recorder.payloads, key=int) == sorted([str(n).encode() for n in range(10)] * 2)


def test_topics_route_devices_and_gateways_and_nothing_else() -> None:
    assert topic_route("gorod/v1/devices/wm-000123/telemetry") == ("device", "wm-000123")
    assert topic_route("gorod/v1/gateways/gw-7/telemetry") == ("gateway", "gw-7")
    for wrong in (
        "gorod/v1/devices/wm-1/status",
        "gorod/v1/devices//telemetry",
        "gorod/v1/devices/ wm/telemetry",
        "gorod/v2/devices/wm-1/telemetry",
        "gorod/v1/sensors/wm-1/telemetry",
    ):
        assert topic_route(wrong) is None


def test_subscriptions_share_one_group_unless_told_not_to() -> None:
    assert subscriptions(shared=True) == [
        "$share/gorod-ingest/gorod/v1/devices/+/telemetry",
        "$share/gorod-ingest/gorod/v1/gateways/+/telemetry",
    ]
    assert subscriptions(shared=False)[0] == "gorod/v1/devices/+/telemetry"


def test_broker_addresses_are_parsed_or_refused() -> None:
    parsed = broker_parse("mqtts://ingest:s%40cret@broker.city:8884")
    assert (parsed.host, parsed.port, parsed.username, parsed.password, parsed.tls) == (
        "broker.city",
        8884,
        "ingest",
        "s@cret",
        True,
    )
    assert broker_parse("mqtt://127.0.0.1").port == 1883
    for wrong in ("http://host:1883", "mqtt://", "mqtt://host:99999", "host:1883"):
        with pytest.raises(BrokerUrlError):
            broker_parse(wrong)
