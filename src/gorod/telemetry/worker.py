"""The MQTT ingest worker behind ``gorod ingest``.

One asyncio task reads messages from an MQTT 5 shared subscription (QoS 1, a persistent
session under a stable client id) and gathers them into micro-batches, closed by a count,
a size in bytes or an age. Each batch is stored in a thread (parse, validate, append to the
telemetry table, upsert the latest state, write dead letters) and only then are its
messages acknowledged, so a worker killed at any moment loses nothing: the broker
redelivers whatever was not acknowledged, and the table's read-time de-duplication counts
a redelivered reading once. While one batch is being stored the next one fills.

The broker stops sending when ``receive_maximum`` messages are unacknowledged, which
bounds the worker's memory. SIGTERM and SIGINT finish the batch in hand, acknowledge it
and disconnect; everything not acknowledged stays with the session on the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from gorod.telemetry.mqtt import Broker, subscriptions

logger = logging.getLogger("gorod.telemetry.worker")

RECONNECT_MAX_DELAY = 10.0


@dataclass(frozen=True)
class Received:
    """One MQTT message as the store sees it."""

    topic: str
    payload: bytes
    received_at: float  # time.time() when its batch began


@dataclass(frozen=True)
class Outcome:
    """What storing one micro-batch did: counts of readings and of rejected items."""

    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0


Store = Callable[[Sequence[Received]], Outcome]


@dataclass(frozen=True)
class WorkerOptions:
    client_id: str
    broker: Broker
    shared: bool = True
    batch_messages: int = 1000
    batch_bytes: int = 16 * 1024 * 1024
    batch_seconds: float = 0.25
    # The broker keeps up to this many messages unacknowledged in flight to us; two
    # batches' worth lets the next batch fill while one is stored.
    receive_maximum: int = 4000
    session_expiry: int = 7 * 24 * 3600
    stats_seconds: float = 10.0


@dataclass
class Totals:
    """Running counts since the worker started, and those of the current stats window."""

    messages: int = 0
    accepted: int = 0
    rejected: int = 0
    duplicates: int = 0
    batches: int = 0
    window_started: float = field(default_factory=time.time)
    window_messages: int = 0
    window_accepted: int = 0
    window_rejected: int = 0
    window_duplicates: int = 0
    window_max_lag: float = 0.0

    def add(self, outcome: Outcome, *, messages: int, lag: float) -> None:
        self.messages += messages
        self.accepted += outcome.accepted
        self.rejected += outcome.rejected
        self.duplicates += outcome.duplicates
        self.batches += 1
        self.window_messages += messages
        self.window_accepted += outcome.accepted
        self.window_rejected += outcome.rejected
        self.window_duplicates += outcome.duplicates
        self.window_max_lag = max(self.window_max_lag, lag)

    def window_reset(self, now: float) -> None:
        self.window_started = now
        self.window_messages = self.window_accepted = 0
        self.window_rejected = self.window_duplicates = 0
        self.window_max_lag = 0.0


Report = Callable[[str, Totals, float], None]


def _connect_properties(options: WorkerOptions) -> Properties | None:
    if not options.broker.mqtt5:
        return None
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = options.session_expiry
    properties.ReceiveMaximum = options.receive_maximum
    return properties


def _client(options: WorkerOptions) -> aiomqtt.Client:
    broker = options.broker
    # A persistent session: clean_start=False with an expiry in MQTT 5, clean_session=False
    # in 3.1.1 (amqtt).
    session: dict[str, Any] = (
        {
            "protocol": aiomqtt.ProtocolVersion.V5,
            "clean_start": False,
            "properties": _connect_properties(options),
        }
        if broker.mqtt5
        else {"protocol": aiomqtt.ProtocolVersion.V311, "clean_session": False}
    )
    client = aiomqtt.Client(
        broker.host,
        broker.port,
        username=broker.username,
        password=broker.password,
        identifier=options.client_id,
        tls_params=aiomqtt.TLSParameters() if broker.tls else None,
        **session,
    )
    # aiomqtt 2.5 has no manual-ack option of its own; paho's is switched on beneath it
    # before connecting, and each message is acknowledged by its packet id (_acknowledge).
    client._client.manual_ack_set(True)
    return client


def _acknowledge(client: aiomqtt.Client, messages: Sequence[aiomqtt.Message]) -> None:
    paho = client._client
    for message in messages:
        if message.qos > 0:
            paho.ack(message.mid, message.qos)


class Worker:
    """Consume, micro-batch, store, acknowledge; until :meth:`stop`."""

    def __init__(self, options: WorkerOptions, *, store: Store, report: Report | None = None):
        self.options = options
        self.store = store
        self.report = report
        self.totals = Totals()
        self.stopping = asyncio.Event()
        self._stop_waiter: asyncio.Future[Any] | None = None
        self._gone: asyncio.Future[None] | None = None
        self._next: asyncio.Future[aiomqtt.Message] | None = None
        self._first_at = 0.0
        # Storage runs in one thread of its own: one database connection, in order.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-store")

    def stop(self) -> None:
        self.stopping.set()

    async def run(self) -> Totals:
        """Keep a connection (reconnecting with back-off) until stopped."""
        delay = 0.5
        while not self.stopping.is_set():
            try:
                await self._session()
                delay = 0.5
            except aiomqtt.MqttError as exc:
                if self.stopping.is_set():
                    break
                logger.warning("MQTT connection lost (%s); reconnecting in %.1f s", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), timeout=delay)
                delay = min(delay * 2, RECONNECT_MAX_DELAY)
        await self._report(time.time())
        self._executor.shutdown(wait=True)
        logger.info(
            "worker %s stopped: %d messages, %d readings stored, %d refused",
            self.options.client_id,
            self.totals.messages,
            self.totals.accepted,
            self.totals.rejected,
        )
        return self.totals

    async def _session(self) -> None:
        options = self.options
        client = _client(options)
        async with client:
            shared = options.shared and options.broker.mqtt5
            topics = subscriptions(shared=shared)
            if options.broker.mqtt5:
                await client.subscribe([(topic, SubscribeOptions(qos=1)) for topic in topics])
            else:
                await client.subscribe([(topic, 1) for topic in topics])
            logger.info("worker %s subscribed at %s", options.client_id, options.broker.url)
            incoming = aiomqtt_messages(client)
            # The queue is read directly, so a lost connection must be watched for here.
            self._gone = client._disconnected
            stop_waiter = asyncio.ensure_future(self.stopping.wait())
            self._stop_waiter = stop_waiter
            try:
                while not self.stopping.is_set():
                    batch = await self._gather(incoming)
                    if batch:
                        await self._flush(client, batch)
                    await self._maybe_report()
            finally:
                stop_waiter.cancel()
                self._stop_waiter = None
                if self._next is not None:
                    # Unacknowledged, so the broker sends it again on the next session.
                    self._next.cancel()
                    self._next = None

    async def _take(
        self, incoming: asyncio.Queue[aiomqtt.Message], timeout: float
    ) -> aiomqtt.Message | None:
        """The next message, or None after ``timeout`` or on stop; a pending read is kept."""
        if self._next is None:
            try:
                return incoming.get_nowait()
            except asyncio.QueueEmpty:
                if timeout <= 0:
                    return None
                self._next = asyncio.ensure_future(incoming.get())
        if timeout > 0 and not self.stopping.is_set():
            waiters: set[asyncio.Future[Any]] = {self._next}
            if self._stop_waiter is not None:
                waiters.add(self._stop_waiter)
            if self._gone is not None:
                waiters.add(self._gone)
            await asyncio.wait(
                waiters,
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        if self._gone is not None and self._gone.done():
            cause = self._gone.exception()  # retrieved, so asyncio does not warn of it
            raise aiomqtt.MqttError(f"the connection to the broker was lost ({cause})")
        if not self._next.done():
            return None
        message = self._next.result()
        self._next = None
        return message

    async def _gather(self, incoming: asyncio.Queue[aiomqtt.Message]) -> list[aiomqtt.Message]:
        """One micro-batch: wait for a first message, then take more until a limit."""
        options = self.options
        first = await self._take(incoming, options.stats_seconds)
        if first is None:
            return []
        self._first_at = time.time()
        batch = [first]
        size = len(_payload_bytes(first.payload))
        deadline = time.monotonic() + options.batch_seconds
        while len(batch) < options.batch_messages and size < options.batch_bytes:
            remaining = 0.0 if self.stopping.is_set() else deadline - time.monotonic()
            message = await self._take(incoming, remaining)
            if message is None:
                break
            batch.append(message)
            size += len(_payload_bytes(message.payload))
        return batch

    async def _flush(self, client: aiomqtt.Client, batch: list[aiomqtt.Message]) -> None:
        now = self._first_at  # when the batch's first message was taken
        received = [
            Received(topic=str(m.topic), payload=_payload_bytes(m.payload), received_at=now)
            for m in batch
        ]
        outcome = await self._store(received)
        # Durable now: the broker may forget these messages.
        _acknowledge(client, batch)
        done = time.time()
        self.totals.add(outcome, messages=len(batch), lag=done - now)

    async def _store(self, received: list[Received]) -> Outcome:
        """Store the batch, retrying with back-off while storage fails (a database restart)."""
        delay = 0.5
        while True:
            try:
                return await asyncio.get_running_loop().run_in_executor(
                    self._executor, self.store, received
                )
            except Exception:
                if self.stopping.is_set():
                    raise
                logger.exception(
                    "storing %d messages failed; retry in %.1f s", len(received), delay
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), timeout=delay)
                delay = min(delay * 2, RECONNECT_MAX_DELAY)

    async def _maybe_report(self) -> None:
        now = time.time()
        if now - self.totals.window_started >= self.options.stats_seconds:
            await self._report(now)

    async def _report(self, now: float) -> None:
        if self.report is not None and self.totals.window_messages:
            try:
                await asyncio.get_running_loop().run_in_executor(
                    self._executor, self.report, self.options.client_id, self.totals, now
                )
            except Exception:
                logger.exception("could not record the ingest statistics")
        self.totals.window_reset(now)


def _payload_bytes(payload: object) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode()
    return b"" if payload is None else str(payload).encode()


def aiomqtt_messages(client: aiomqtt.Client) -> asyncio.Queue[aiomqtt.Message]:
    """The client's incoming queue: read directly so a batch can be drained without waiting."""
    queue: asyncio.Queue[aiomqtt.Message] = client._queue
    return queue


def install_signal_handlers(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.stop)


# --- the Django side: T1's parse/store, and the statistics the status page reads ---------


def django_store(messages: Sequence[Received]) -> Outcome:
    """Parse every message (bad ones become rejections) and store the lot durably."""
    import datetime as dt

    from django.db import close_old_connections

    from gorod.telemetry.ingest import Batch, parse_message, store

    close_old_connections()  # a connection the database dropped is replaced, not reused
    batch = Batch.merge(parse_message(m.topic, m.payload) for m in messages)
    received_at = dt.datetime.fromtimestamp(min(m.received_at for m in messages), tz=dt.UTC)
    result = store(batch, source="mqtt", received_at=received_at)
    return Outcome(accepted=result.accepted, rejected=result.rejected, duplicates=result.duplicates)


def django_report(worker: str, totals: Totals, now: float) -> None:
    """One ``IngestStat`` row for the window that just ended (the status page reads them)."""
    import datetime as dt

    from gorod.telemetry.services import ingest_stat_record

    ingest_stat_record(
        worker=worker,
        window_start=dt.datetime.fromtimestamp(totals.window_started, tz=dt.UTC),
        window_seconds=max(now - totals.window_started, 0.001),
        messages=totals.window_messages,
        accepted=totals.window_accepted,
        rejected=totals.window_rejected,
        duplicates=totals.window_duplicates,
        max_lag_s=totals.window_max_lag,
    )
