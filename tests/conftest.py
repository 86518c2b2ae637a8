"""Shared fixtures: real services (skip, or fail under GOROD_REQUIRE_SERVICES=1) and the browser."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REQUIRE_SERVICES = os.environ.get("GOROD_REQUIRE_SERVICES") == "1"
CHROMIUM = "/usr/bin/chromium"
OUTPUT_DIR = Path(
    os.environ.get("GOROD_TEST_OUTPUT", Path(__file__).resolve().parent.parent / "test-output")
)


def service_or_skip(name: str, host: str, port: int) -> None:
    """Skip the test when a service is down, or fail when CI requires it."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return
    except OSError as exc:
        message = f"{name} is not reachable on {host}:{port} ({exc})"
        if REQUIRE_SERVICES:
            pytest.fail(message + "; GOROD_REQUIRE_SERVICES=1 requires it")
        pytest.skip(message)


@pytest.fixture
def mqtt_broker() -> tuple[str, int]:
    host, port = "127.0.0.1", int(os.environ.get("MQTT_TEST_PORT", "1883"))
    service_or_skip("Mosquitto", host, port)
    return host, port


@pytest.fixture(scope="session")
def output_dir() -> Path:
    path = OUTPUT_DIR / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"Debian's chromium is not installed at {CHROMIUM}"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # beside it are ordinary synchronous ones. The loop stays "running" until Playwright
    # stops, so the browser lives for one module: tests of other modules that call
    # asyncio.run (the ingest worker's) then run in a thread without a loop.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url, locale="ru-RU", viewport={"width": 1280, "height": 900}
    )
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()
