"""Several OS processes append at once: no gap, no duplicate, the same tree as one by one.

Runs on the configured database kind (SQLite file or PostgreSQL), in a temporary
database of its own so the processes see each other's commits.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys

from gorod.ledger import merkle
from gorod.ledger.bench import temporary_database

WORKERS = 6
ROUNDS = 25

SETUP = """
import json, os, random, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gorod.settings")
import django
django.setup()
"""

APPEND = (
    SETUP
    + """
from gorod.ledger.services import log_append
worker, rounds = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(worker)
for number in range(rounds):
    count = rng.randint(1, 6)
    log_append(leaves=[f"{worker}:{number}:{i}".encode() for i in range(count)])
"""
)

READ = (
    SETUP
    + """
from gorod.ledger.models import LogEntry, LogState
from gorod.ledger.verification import log_verify
state = LogState.objects.get()
rows = LogEntry.objects.order_by("index").values_list("index", "leaf_hash")
print(json.dumps({
    "indexes": [index for index, _leaf in rows],
    "leaves": [bytes(leaf).hex() for _index, leaf in rows],
    "size": state.size,
    "root": bytes(state.root).hex(),
    "problems": [p.message for p in log_verify(chunk_size=50).problems],
}))
"""
)


def _expected_leaves() -> set[bytes]:
    leaves: set[bytes] = set()
    for worker in range(WORKERS):
        rng = random.Random(worker)
        for number in range(ROUNDS):
            count = rng.randint(1, 6)
            leaves.update(merkle.leaf_hash(f"{worker}:{number}:{i}".encode()) for i in range(count))
    return leaves


def test_concurrent_appends_from_many_processes_build_one_consistent_tree() -> None:
    with temporary_database(prefix="gorod_ledger_test") as database:
        env = {**os.environ, **database, "GOROD_PROFILE": "test"}
        subprocess.run(
            [sys.executable, "-m", "gorod.cli", "migrate", "ledger", "-v0"],
            env=env,
            check=True,
            capture_output=True,
        )
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", APPEND, str(worker), str(ROUNDS)],
                env=env,
                stderr=subprocess.PIPE,
            )
            for worker in range(WORKERS)
        ]
        for worker in workers:
            _out, err = worker.communicate(timeout=300)
            assert worker.returncode == 0, err.decode()[-2000:]
        read = subprocess.run(
            [sys.executable, "-c", READ], env=env, check=True, capture_output=True, text=True
        )
    result = json.loads(read.stdout.strip().splitlines()[-1])
    leaves = [bytes.fromhex(leaf) for leaf in result["leaves"]]
    assert result["indexes"] == list(range(len(leaves)))
    assert set(leaves) == _expected_leaves()
    assert len(leaves) == len(_expected_leaves())
    assert result["size"] == len(leaves)
    assert bytes.fromhex(result["root"]) == merkle.root_hash(leaves)
    assert result["problems"] == []
