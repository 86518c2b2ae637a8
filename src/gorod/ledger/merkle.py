"""RFC 9162 section 2.1 Merkle tree algorithms for the public transparency log.

This module is pure (stdlib only, no Django) so that the exact algorithm every outside
auditor re-implements from the RFC can be tested, reviewed and benchmarked on its own, and
so that storage cannot quietly change what a root or a proof means.

Two families of functions compute the same values:

* List-based (``root_hash``, ``inclusion_proof``, ``consistency_proof``): take every leaf
  hash and cost O(n). They follow the RFC's recursive definitions step by step and are the
  reference the storage-backed functions are tested against.
* Node-based (``*_from_nodes``, ``nodes_completed_by_append[s]``): the log stores only the
  hashes of PERFECT subtrees, addressed ``(level, index)`` = the hash of leaves
  ``[index * 2**level, (index + 1) * 2**level)`` (level 0 are the leaf hashes). A perfect
  subtree's hash never changes once its last leaf is appended, so it can be written once and
  never updated; every other subtree of an RFC tree lies on the right border and is
  rebuilt, when needed, from at most log2(n) perfect ones. Appending and proving thus read
  O(log n) stored nodes instead of rebuilding the tree. The ``*_nodes`` helpers name the
  addresses beforehand so a caller can fetch them in one query.

Verification functions answer ``False`` for any malformed input instead of raising: they
are fed untrusted receipts and API parameters, and "this does not verify" is the only
useful answer to garbage.
"""

import hashlib
from collections.abc import Callable, Sequence
from typing import TypeAlias

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompletedNode",
    "NodeAddress",
    "NodeGetter",
    "consistency_proof",
    "consistency_proof_from_nodes",
    "consistency_proof_nodes",
    "inclusion_proof",
    "inclusion_proof_from_nodes",
    "inclusion_proof_nodes",
    "leaf_hash",
    "node_hash",
    "nodes_completed_by_append",
    "nodes_completed_by_appends",
    "required_nodes_for_root",
    "root_from_nodes",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Bytes in a SHA-256 digest, the size of every leaf, node, root and proof element."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string (RFC 9162 2.1.1)."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_sha256 = hashlib.sha256

NodeAddress: TypeAlias = tuple[int, int]
"""``(level, index)`` names the perfect subtree over ``2**level`` leaves from ``index * 2**level``.

Level 0 are the leaf hashes.
"""

NodeGetter: TypeAlias = Callable[[int, int], bytes]
"""``get_node(level, index)`` returns the stored hash of that perfect subtree."""

CompletedNode: TypeAlias = tuple[int, int, bytes]
"""``(level, index, hash)`` of a perfect subtree to store."""

_Range: TypeAlias = tuple[int, int]


# --------------------------------------------------------------------------- hashing


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the 0x00 prefix keeps a leaf from ever passing for a node."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the 0x01 prefix is the node side of the domain split."""
    return _sha256(_NODE_PREFIX + left + right).digest()


# --------------------------------------------------------------------------- shared shape


def _split(n: int) -> int:
    """The largest power of two strictly less than ``n`` (n >= 2): the RFC's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def _check_leaf_hashes(leaf_hashes: Sequence[bytes]) -> None:
    """Reject elements that are not 32 bytes: catches raw data passed instead of hashes."""
    for position, item in enumerate(leaf_hashes):
        if len(item) != HASH_SIZE:
            raise ValueError(
                f"leaf hash {position} is {len(item)} bytes, not {HASH_SIZE}; "
                "pass leaf_hash(data), not the data"
            )


def _inclusion_ranges(index: int, size: int) -> list[_Range]:
    """The leaf ranges whose MTH form PATH(index, D[size]), in proof order (RFC 9162 2.1.3.1).

    PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) if m < k, else
    PATH(m - k, D[k:n]) : MTH(D[0:k]). The recursion is unrolled top-down, so the
    siblings are collected root-first and reversed to the RFC's leaf-first order.
    """
    if not 0 <= index < size:
        raise ValueError(f"index {index} is not in a tree of size {size}")
    siblings: list[_Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        mid = lo + _split(hi - lo)
        if index < mid:
            siblings.append((mid, hi))
            hi = mid
        else:
            siblings.append((lo, mid))
            lo = mid
    siblings.reverse()
    return siblings


def _consistency_ranges(old_size: int, new_size: int) -> list[_Range]:
    """The leaf ranges whose MTH form PROOF(old_size, D[new_size]) (RFC 9162 2.1.4.1).

    SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])};
    for m < n: SUBPROOF(m, D[0:k], b) : MTH(D[k:n]) if m <= k, else
    SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k]). Unrolled top-down like the path.
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"old size {old_size} is not between 0 and the new size {new_size}")
    if old_size in (0, new_size):
        return []
    suffix: list[_Range] = []
    lo, hi, m, whole = 0, new_size, old_size, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            suffix.append((lo + k, hi))
            hi = lo + k
        else:
            suffix.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    suffix.reverse()
    return suffix if whole else [(lo, hi), *suffix]


def _decompose(lo: int, hi: int) -> list[NodeAddress]:
    """The perfect subtrees that tile ``[lo, hi)``, left to right, largest first.

    Every range the RFC recursion produces starts at a multiple of the largest power of
    two not above its length, so its binary decomposition consists of aligned perfect
    subtrees, and its MTH is their right fold (the RFC splits off the largest one first).
    """
    nodes: list[NodeAddress] = []
    length, cursor = hi - lo, lo
    for level in range(length.bit_length() - 1, -1, -1):
        if length >> level & 1:
            nodes.append((level, cursor >> level))
            cursor += 1 << level
    return nodes


def _fetch(get_node: NodeGetter, level: int, index: int) -> bytes:
    """Read one stored node, accepting bytes-like rows and refusing corrupt ones loudly."""
    value: object = get_node(level, index)
    if isinstance(value, bytearray | memoryview):
        value = bytes(value)
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ValueError(f"stored node ({level}, {index}) is not a {HASH_SIZE}-byte hash")
    return value


def _range_root_from_nodes(lo: int, hi: int, get_node: NodeGetter) -> bytes:
    """MTH(D[lo:hi]) as the right fold of the stored perfect subtrees that tile it.

    The tiles are read left to right, in the order the ``*_nodes`` helpers list them.
    """
    hashes = [_fetch(get_node, level, index) for level, index in _decompose(lo, hi)]
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


# --------------------------------------------------------------------------- list-based


def _range_root(leaf_hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) bottom-up in O(hi - lo), without recursion.

    Pairing left to right and carrying a level's odd last node up unchanged builds the
    same tree as the RFC's "split at the largest power of two below n" recursion.
    """
    if hi <= lo:
        return EMPTY_ROOT
    level = list(leaf_hashes[lo:hi])
    while len(level) > 1:
        # An odd count leaves the last node unpaired: zip drops it and it is carried up.
        pairs = zip(level[0::2], level[1::2], strict=False)
        parents = [node_hash(left, right) for left, right in pairs]
        if len(level) & 1:
            parents.append(level[-1])
        level = parents
    return level[0]


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) (RFC 9162 2.1.1) of the given leaf hashes; SHA-256(b"") when empty."""
    _check_leaf_hashes(leaf_hashes)
    return _range_root(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) (RFC 9162 2.1.3.1): the audit path for leaf ``index``, leaf-first.

    The sibling ranges are disjoint, so the whole proof costs O(n) hashing.
    Raises ValueError when ``index`` is not in ``[0, n)``.
    """
    _check_leaf_hashes(leaf_hashes)
    ranges = _inclusion_ranges(index, len(leaf_hashes))
    return [_range_root(leaf_hashes, lo, hi) for lo, hi in ranges]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) (RFC 9162 2.1.4.1): the first ``old_size`` leaves' tree is a prefix.

    Empty for ``old_size`` 0 (every tree extends the empty one) and for ``old_size == n``.
    Raises ValueError when ``old_size`` is not in ``[0, n]``.
    """
    _check_leaf_hashes(leaf_hashes)
    ranges = _consistency_ranges(old_size, len(leaf_hashes))
    return [_range_root(leaf_hashes, lo, hi) for lo, hi in ranges]


# --------------------------------------------------------------------------- node-based


def required_nodes_for_root(size: int) -> list[NodeAddress]:
    """The perfect subtrees whose right fold is MTH of ``size`` leaves: one per set bit.

    At most log2(size) + 1 addresses; empty for size 0 (the root is then EMPTY_ROOT).
    These are also exactly the nodes a batch append at ``size`` may read.
    """
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return _decompose(0, size)


def root_from_nodes(size: int, get_node: NodeGetter) -> bytes:
    """MTH of ``size`` leaves from the stored nodes ``required_nodes_for_root(size)``."""
    if size < 0:
        raise ValueError(f"tree size {size} is negative")
    return _range_root_from_nodes(0, size, get_node)


def inclusion_proof_nodes(index: int, size: int) -> list[NodeAddress]:
    """Every stored node ``inclusion_proof_from_nodes(index, size, ...)`` reads, without repeats.

    At most 2 * ceil(log2(size)) addresses: one per proof element, plus the tiles of the
    single sibling that lies on the right border.
    """
    return [node for lo, hi in _inclusion_ranges(index, size) for node in _decompose(lo, hi)]


def consistency_proof_nodes(old_size: int, new_size: int) -> list[NodeAddress]:
    """Every stored node ``consistency_proof_from_nodes(old_size, new_size, ...)`` reads."""
    return [
        node for lo, hi in _consistency_ranges(old_size, new_size) for node in _decompose(lo, hi)
    ]


def inclusion_proof_from_nodes(index: int, size: int, get_node: NodeGetter) -> list[bytes]:
    """Same as ``inclusion_proof(leaves[:size], index)``, reading only perfect stored nodes.

    Each node in ``inclusion_proof_nodes(index, size)`` is read exactly once.
    Raises ValueError when ``index`` is not in ``[0, size)``.
    """
    return [_range_root_from_nodes(lo, hi, get_node) for lo, hi in _inclusion_ranges(index, size)]


def consistency_proof_from_nodes(old_size: int, new_size: int, get_node: NodeGetter) -> list[bytes]:
    """Same as ``consistency_proof(leaves[:new_size], old_size)``, reading only stored nodes.

    Each node in ``consistency_proof_nodes(old_size, new_size)`` is read exactly once.
    Raises ValueError unless ``0 <= old_size <= new_size``.
    """
    return [
        _range_root_from_nodes(lo, hi, get_node)
        for lo, hi in _consistency_ranges(old_size, new_size)
    ]


def nodes_completed_by_appends(
    size_before: int, new_leaves: Sequence[bytes], get_node: NodeGetter
) -> list[CompletedNode]:
    """The perfect subtrees completed by appending ``new_leaves`` to a log of ``size_before``.

    Returned as ``(level, index, hash)`` sorted by level then index, starting with the new
    leaves themselves at level 0; storing them all keeps the log able to answer every root
    and proof. The work is one pass per level over that level's new nodes (about
    2 * len(new_leaves) hashes in all). Only the left sibling of a level's first new node
    can be old, which happens when bit ``level`` of ``size_before`` is set: so at most one
    read per level, at most log2(size_before) + 1 reads, all of them among
    ``required_nodes_for_root(size_before)``. With ``size_before == 0`` nothing is read,
    which builds every perfect node of a list from scratch.
    Raises ValueError for a negative size or a leaf hash that is not 32 bytes.
    """
    if size_before < 0:
        raise ValueError(f"tree size {size_before} is negative")
    _check_leaf_hashes(new_leaves)
    size_after = size_before + len(new_leaves)
    current = list(new_leaves)  # hashes of this level's new nodes, from index `first`
    completed: list[CompletedNode] = [
        (0, index, node) for index, node in enumerate(current, start=size_before)
    ]
    level, first = 0, size_before
    sha256, prefix = _sha256, _NODE_PREFIX
    while True:
        parent_first = size_before >> (level + 1)
        parent_end = size_after >> (level + 1)
        if parent_end <= parent_first:
            return completed
        if first & 1:
            # The first new parent pairs a stored left sibling with our first new node.
            current.insert(0, _fetch(get_node, level, first - 1))
        # `current` now starts at an even index; an odd last node waits for its sibling.
        pairs = zip(current[0::2], current[1::2], strict=False)
        current = [sha256(prefix + left + right).digest() for left, right in pairs]
        level += 1
        completed.extend((level, index, node) for index, node in enumerate(current, parent_first))
        first = parent_first


def nodes_completed_by_append(
    size_before: int, new_leaf: bytes, get_node: NodeGetter
) -> list[CompletedNode]:
    """The perfect subtrees completed by appending one leaf hash at index ``size_before``.

    Always starts with ``(0, size_before, new_leaf)``; then one node per trailing 1-bit
    of ``size_before``, each read-combined with its stored left sibling.
    """
    return nodes_completed_by_appends(size_before, [new_leaf], get_node)


# --------------------------------------------------------------------------- verification


def _is_count(value: object) -> bool:
    """A non-negative int (bool excluded: True is not a tree size)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _hash_list(proof: object) -> list[bytes] | None:
    """The proof as a list of 32-byte hashes, or None when it is anything else."""
    if isinstance(proof, str | bytes | bytearray | memoryview) or not isinstance(proof, Sequence):
        return None
    try:
        items = list(proof)
    except Exception:  # a hostile Sequence: refuse, never raise
        return None
    hashes: list[bytes] = []
    for item in items:
        if not (isinstance(item, bytes) and len(item) == HASH_SIZE):
            return None
        hashes.append(item)
    return hashes


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf hash ``leaf_hash`` at ``index`` in the tree ``(size, root)``.

    The RFC 9162 2.1.3.2 algorithm, verbatim. ``size`` must come with ``root`` from the
    same signed tree head: a root alone does not pin the size (the proof of index 0 in a
    tree of 3 also fits "index 0 of 4" against the same root, as the RFC's algorithm has
    no way to tell), so never verify against a caller-chosen size.
    Returns False, never raises, for any malformed input.
    """
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_count(index) and _is_count(size)):
        return False
    path = _hash_list(proof)
    if path is None or index >= size:
        return False
    fn, sn = index, size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            return False  # more elements than the path has levels
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``(new_size, new_root)`` extends ``(old_size, old_root)``.

    For ``0 < old_size < new_size`` this is the RFC 9162 2.1.4.2 algorithm, verbatim.
    The cases the RFC leaves to the caller are defined as:

    * ``old_size == new_size``: True iff the proof is empty and the roots are equal
      (and, for size 0, both are the empty root);
    * ``old_size == 0 < new_size``: True iff the proof is empty and ``old_root`` is
      EMPTY_ROOT, since every tree extends the empty tree;
    * ``old_size > new_size``: False.

    Returns False, never raises, for any malformed input.
    """
    if not (
        _is_count(old_size) and _is_count(new_size) and _is_hash(old_root) and _is_hash(new_root)
    ):
        return False
    path = _hash_list(proof)
    if path is None or old_size > new_size:
        return False
    if old_size == new_size:
        return not path and old_root == new_root and (old_size > 0 or old_root == EMPTY_ROOT)
    if old_size == 0:
        return not path and old_root == EMPTY_ROOT
    # RFC step 1: an empty path never proves two different sizes consistent.
    return bool(path) and _consistency_path_matches(old_size, new_size, old_root, new_root, path)


def _consistency_path_matches(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2 steps 2-7 for 0 < old_size < new_size and a non-empty path."""
    if old_size & (old_size - 1) == 0:
        path = [old_root, *path]
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False  # more elements than the proof has levels
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
