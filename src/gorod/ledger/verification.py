"""``gorod ledger verify``: recompute the whole log from its entries and check everything stored.

Entries are read in chunks in index order and folded into the tree, keeping only the
O(log n) subtree roots a further append needs, so memory stays bounded whatever the size.
Every stored node, the state's root, every signed head (signature, root at its size) and
the consistency of each head with the one before are checked, and each audit event whose
key the city keeps is re-committed and compared with its entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from gorod.ledger import merkle
from gorod.ledger.commitments import commitment
from gorod.ledger.heads import head_signature_valid, key_id
from gorod.ledger.keys import public_key
from gorod.ledger.models import AuditEvent, LogEntry, LogNode, LogState, SignedTreeHead
from gorod.ledger.selectors import node_getter, nodes_fetch

Address = merkle.NodeAddress


@dataclass(frozen=True)
class Problem:
    message: str
    # The first entry the problem concerns, when it can be told.
    index: int | None = None


@dataclass
class Report:
    entries: int = 0
    nodes: int = 0
    heads: int = 0
    audit_events: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def first_tampered_entry(self) -> int | None:
        indexes = [problem.index for problem in self.problems if problem.index is not None]
        return min(indexes) if indexes else None


def _entry_chunks(chunk_size: int) -> Iterator[list[tuple[int, bytes]]]:
    after = -1
    while True:
        rows = list(
            LogEntry.objects.filter(index__gt=after)
            .order_by("index")
            .values_list("index", "leaf_hash")[:chunk_size]
        )
        if not rows:
            return
        yield [(index, bytes(leaf)) for index, leaf in rows]
        after = rows[-1][0]


def _stored_nodes(completed: list[merkle.CompletedNode]) -> dict[Address, bytes]:
    """The stored nodes at the addresses of ``completed``: one range query per level."""
    ranges: dict[int, list[int]] = defaultdict(list)
    for level, index, _node in completed:
        ranges[level].append(index)
    stored: dict[Address, bytes] = {}
    for level, indexes in ranges.items():
        rows = LogNode.objects.filter(
            level=level, index__gte=min(indexes), index__lte=max(indexes)
        ).values_list("index", "hash")
        stored.update(((level, index), bytes(node)) for index, node in rows)
    return stored


def _node_problem(level: int, index: int, missing: bool) -> Problem:
    first, last = index << level, ((index + 1) << level) - 1
    if level == 0:
        message = (
            _("Entry %(index)d has been altered: its leaf hash differs from the tree's.")
            if not missing
            else _("The tree has no leaf for entry %(index)d.")
        )
        return Problem(message % {"index": first}, first)
    message = (
        _(
            "The tree's node (level %(level)d, index %(node)d) over entries %(first)d to "
            "%(last)d differs from those entries: one of them has been altered."
        )
        if not missing
        else _(
            "The tree has no node (level %(level)d, index %(node)d) over entries %(first)d "
            "to %(last)d."
        )
    )
    return Problem(message % {"level": level, "node": index, "first": first, "last": last}, first)


def _first_mismatch(completed: list[merkle.CompletedNode]) -> Problem | None:
    """The problem with the stored nodes that points at the earliest entry.

    An altered entry also changes every node above it; a leaf that differs names the
    entry exactly, so leaves come first, then the node over the earliest entries.
    """
    stored = _stored_nodes(completed)
    worst: tuple[bool, int, int, int, bool] | None = None
    for level, index, node in completed:
        found = stored.get((level, index))
        if found == node:
            continue
        candidate = (level > 0, index << level, level, index, found is None)
        if worst is None or candidate < worst:
            worst = candidate
    return None if worst is None else _node_problem(worst[2], worst[3], worst[4])


class _Verifier:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.frontier: dict[Address, bytes] = {}
        self.size = 0
        self.tree_broken = False
        self.key = public_key()
        self.key_id = key_id(self.key)
        self.heads = SignedTreeHead.objects.order_by("tree_size").iterator(chunk_size=1000)
        self.next_head = next(self.heads, None)
        self.previous_head: SignedTreeHead | None = None

    def problem(self, message: str, index: int | None = None) -> None:
        self.report.problems.append(Problem(message, index))

    def root(self) -> bytes:
        return merkle.root_from_nodes(self.size, node_getter(self.frontier))

    def fold(self, leaves: list[bytes]) -> None:
        completed = merkle.nodes_completed_by_appends(self.size, leaves, node_getter(self.frontier))
        self.report.nodes += len(completed)
        if not self.tree_broken and (mismatch := _first_mismatch(completed)):
            # Every node above a tampered one differs too: report the first only.
            self.report.problems.append(mismatch)
            self.tree_broken = True
        self.frontier.update(((level, index), node) for level, index, node in completed)
        self.size += len(leaves)
        keep = set(merkle.required_nodes_for_root(self.size))
        self.frontier = {
            address: node for address, node in self.frontier.items() if address in keep
        }

    def feed(self, chunk: list[tuple[int, bytes]]) -> bool:
        """Fold a chunk of entries in, checking each head it reaches; False on a gap."""
        expected = range(self.size, self.size + len(chunk))
        gaps = (at for at, (index, _leaf) in zip(expected, chunk, strict=True) if at != index)
        if (missing := next(gaps, None)) is not None:
            self.problem(
                _("Entries are missing from index %(index)d.") % {"index": missing}, missing
            )
            return False
        position = 0
        while position < len(chunk):
            self.settle_heads()
            end = len(chunk)
            if self.next_head is not None:
                end = min(end, position + self.next_head.tree_size - self.size)
            self.fold([leaf for _index, leaf in chunk[position:end]])
            position = end
        self.settle_heads()
        return True

    def settle_heads(self) -> None:
        while self.next_head is not None and self.next_head.tree_size == self.size:
            self.check_head(self.next_head)
            self.previous_head = self.next_head
            self.next_head = next(self.heads, None)

    def check_head(self, head: SignedTreeHead) -> None:
        self.report.heads += 1
        size, root = head.tree_size, bytes(head.root_hash)
        if head.key_id != self.key_id:
            self.problem(
                _("The head of size %(size)d is signed by another key (%(key)s).")
                % {"size": size, "key": head.key_id}
            )
        elif not head_signature_valid(
            self.key, size, head.timestamp_ms, root, bytes(head.signature)
        ):
            self.problem(
                _("The signature of the head of size %(size)d is not valid.") % {"size": size}
            )
        if root != self.root():
            self.problem(
                _("The head of size %(size)d signs a root that the entries do not give.")
                % {"size": size}
            )
        previous = self.previous_head
        if previous is None or previous.tree_size == 0:
            return
        if not self.consistent(previous, head):
            self.problem(
                _("The head of size %(second)d is not consistent with the head of size %(first)d.")
                % {"first": previous.tree_size, "second": size}
            )

    @staticmethod
    def consistent(first: SignedTreeHead, second: SignedTreeHead) -> bool:
        old, new = first.tree_size, second.tree_size
        nodes = nodes_fetch(merkle.consistency_proof_nodes(old, new))
        try:
            proof = merkle.consistency_proof_from_nodes(old, new, node_getter(nodes))
        except (KeyError, ValueError):  # a node missing, or not 32 bytes
            return False
        return merkle.verify_consistency(
            old, new, bytes(first.root_hash), bytes(second.root_hash), proof
        )

    def finish(self) -> None:
        self.report.entries = self.size
        for head in [self.next_head, *self.heads] if self.next_head else []:
            self.report.heads += 1
            self.problem(
                _("The head of size %(size)d is beyond the log's %(entries)d entries.")
                % {"size": head.tree_size, "entries": self.size}
            )
        state = LogState.objects.first()
        if state is not None and (state.size != self.size or bytes(state.root) != self.root()):
            self.problem(
                _("The log's state (size %(size)d) does not match its %(entries)d entries.")
                % {"size": state.size, "entries": self.size}
            )
        stored = LogNode.objects.count()
        if stored != self.report.nodes:
            self.problem(
                _("The tree stores %(stored)d nodes where its entries give %(expected)d.")
                % {"stored": stored, "expected": self.report.nodes}
            )


def _audit_events(report: Report, chunk_size: int) -> None:
    after = 0
    while True:
        events = list(
            AuditEvent.objects.filter(pk__gt=after, nonce__isnull=False)
            .select_related("log_entry")
            .order_by("pk")[:chunk_size]
        )
        if not events:
            return
        for event in events:
            report.audit_events += 1
            logged = merkle.leaf_hash(commitment(event.statement(), bytes(event.nonce or b"")))
            if logged != bytes(event.log_entry.leaf_hash):
                report.problems.append(
                    Problem(
                        _(
                            "Audit event %(event)d does not match its log entry %(index)d: "
                            "one of them has been altered."
                        )
                        % {"event": event.pk, "index": event.log_entry_id},
                        event.log_entry_id,
                    )
                )
        after = events[-1].pk


def log_verify(
    *, chunk_size: int = 10_000, progress: Callable[[int], None] | None = None
) -> Report:
    """Check the whole log; the report lists every problem found, first tampered entry first."""
    report = Report()
    verifier = _Verifier(report)
    verifier.settle_heads()
    for chunk in _entry_chunks(chunk_size):
        if not verifier.feed(chunk):
            break
        if progress is not None:
            progress(verifier.size)
    verifier.finish()
    _audit_events(report, chunk_size)
    report.problems.sort(key=lambda problem: (problem.index is None, problem.index or 0))
    return report
