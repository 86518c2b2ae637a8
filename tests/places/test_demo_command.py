"""``gorod demo`` end to end: it serves HTTP, and Ctrl-C stops it and every child."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import gorod

SOURCE = str(Path(gorod.__file__).resolve().parent.parent)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def answers_http(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads the process tree from /proc")
@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="the demo runs on its embedded SQLite whatever the suite's database (it drops "
    "DATABASE_URL): the SQLite pass runs it, a second run would repeat it to the byte",
)
def test_demo_serves_http_and_sigint_stops_it_and_all_its_children(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    env |= {
        "GOROD_PROFILE": "demo",
        "GOROD_VAR": str(tmp_path / "var"),
        "GOROD_SHARED_DATA": str(tmp_path / "no-shared-data"),
        "PORT": str(port),
        "PYTHONPATH": SOURCE,
    }
    log = (tmp_path / "demo.log").open("w")
    demo = subprocess.Popen(
        [sys.executable, "-m", "gorod.cli", "demo", "--citizens", "30", "--workers", "1"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180  # a guard against a hang, not a speed check
        while not answers_http(port):
            assert demo.poll() is None, (tmp_path / "demo.log").read_text()
            assert time.monotonic() < deadline, "gorod demo did not answer within 180 s"
            time.sleep(0.3)
        children = descendants(demo.pid)
        assert children, "the web server runs as a child process"
        demo.send_signal(signal.SIGINT)
        assert demo.wait(timeout=20) == 0
        time.sleep(0.2)
        assert not children & {int(p.name) for p in Path("/proc").glob("[0-9]*")}
        assert "citizen@demo.gorod" in (tmp_path / "demo.log").read_text()
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        log.close()
