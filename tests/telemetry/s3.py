"""An S3 server for the tests of an ``s3://`` telemetry table: moto's S3, served over real
HTTP on a free port of 127.0.0.1 by a process of its own.

Its own process, not a thread of the test process: some delta-rs calls (``history()``) hold
Python's GIL while they wait for the server's reply, which a server thread beside them could
then never send.

moto checks ``If-None-Match: *`` and then stores the object in two steps, so two of its
request threads could both pass the check; S3 does both at once. Conditional writes are
therefore served one at a time here, which gives the server S3's guarantee (and no more:
every other request is served concurrently). The server counts the conditional writes it
refused (412), so a test can see that two writers really raced for a log version.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import Any

ACCESS_KEY = "gorod-test"
SECRET_KEY = "gorod-test-secret"  # moto accepts any pair
REGION = "us-east-1"

StartResponse = Callable[..., Any]


def serve(port: Connection, refused: Synchronized[int]) -> None:
    """The server process: moto's S3 application behind a lock for conditional writes."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    app = DomainDispatcherApplication(create_backend_app)
    conditional = threading.Lock()

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "PUT" or not (
            "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MATCH" in environ
        ):
            served: Iterable[bytes] = app(environ, start_response)
            return served

        def counting(status: str, headers: Any, exc_info: Any = None) -> Any:
            if status.startswith("412"):
                with refused.get_lock():
                    refused.value += 1
            return start_response(status, headers, exc_info)

        with conditional:
            return list(app(environ, counting))

    server = make_server(
        "127.0.0.1", 0, application, threaded=True, request_handler=MotoRequestHandler
    )
    port.send(server.server_port)
    server.serve_forever()


class S3Server:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._refused: Synchronized[int] = context.Value("i", 0)
        receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=serve, args=(sender, self._refused), daemon=True)
        self._process.start()
        if not receiver.poll(60):
            self._process.kill()
            raise RuntimeError("moto's S3 server did not start within 60 s")
        self.endpoint = f"http://127.0.0.1:{receiver.recv()}"

    @property
    def refused(self) -> int:
        """How many conditional writes the server has refused with 412 so far."""
        return int(self._refused.value)

    def create_bucket(self) -> str:
        """A new empty bucket: each test gets its own (the server lives for the session)."""
        name = f"gorod-{uuid.uuid4().hex[:16]}"
        request = urllib.request.Request(f"{self.endpoint}/{name}", method="PUT")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our server
            assert response.status == 200
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """The object keys under ``prefix``, listed by the server (the first thousand)."""
        from xml.etree import ElementTree

        url = f"{self.endpoint}/{bucket}?list-type=2&prefix={urllib.parse.quote(prefix)}"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our server
            root = ElementTree.fromstring(response.read())  # noqa: S314 - our server's reply
        return sorted(e.text or "" for e in root.iter() if e.tag.endswith("}Key"))

    def options(self) -> dict[str, str]:
        """The storage options (as ``GOROD_TELEMETRY_STORAGE_OPTIONS``) that reach this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_REGION": REGION,
            "AWS_ALLOW_HTTP": "true",
        }

    def stop(self) -> None:
        self._process.terminate()
        self._process.join(timeout=10)
