"""An embedded MQTT broker (amqtt) for a laptop demo: ``python -m gorod.telemetry.broker``.

``gorod demo`` starts it when no ``MQTT_URL`` is configured. amqtt 0.12 speaks MQTT 3.1.1
only (it refuses protocol level 5), so it has neither shared subscriptions nor session
expiry: the demo runs one ingest worker with a plain subscription and a 3.1.1 persistent
session (``clean_session=False``), which amqtt keeps while it runs. A city runs Mosquitto
or EMQX and points ``MQTT_URL`` at it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import Any

MQTT_PROTOCOL = "3.1.1"


def broker_config(*, host: str, port: int) -> dict[str, Any]:
    """Anonymous, one TCP listener, no $SYS chatter."""
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


async def serve(*, host: str, port: int) -> None:
    """Run the broker until SIGTERM or SIGINT."""
    from amqtt.broker import Broker  # type: ignore[import-untyped]

    broker = Broker(broker_config(host=host, port=port))
    await broker.start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await stopping.wait()
    finally:
        with contextlib.suppress(Exception):
            await broker.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Embedded MQTT 3.1.1 broker for the demo.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.port <= 65535:
        parser.error("--port must be a number from 1 to 65535")
    logging.basicConfig(level=logging.WARNING)
    # Children waiting for the broker probe its port; amqtt logs each probe as a broken client.
    logging.getLogger("amqtt.broker").setLevel(logging.CRITICAL)
    asyncio.run(serve(host=arguments.host, port=arguments.port))


if __name__ == "__main__":
    main()
