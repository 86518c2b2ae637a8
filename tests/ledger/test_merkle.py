"""RFC 9162 Merkle tree: known answers, the RFC's own recursive definitions, corruption
cases, and the perfect-subtree store used by the database-backed log.

Everything here derives its expectations independently of ``gorod.ledger.merkle``: fixed
vectors from the certificate-transparency / transparency-dev test suites, a tiny recursive
transcription of the RFC's MTH / PATH / PROOF over raw data, and a perfect-node table built
level by level with hashlib.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gorod.ledger import merkle
from gorod.ledger.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    consistency_proof_from_nodes,
    consistency_proof_nodes,
    inclusion_proof,
    inclusion_proof_from_nodes,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    nodes_completed_by_append,
    nodes_completed_by_appends,
    required_nodes_for_root,
    root_from_nodes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

# --------------------------------------------------------------------------- references


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """Largest power of two strictly less than n, by counting up (as the RFC words it)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(data: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.1 MTH over raw entries, recursively, exactly as written."""
    n = len(data)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + data[0])
    k = _k(n)
    return _sha256(b"\x01" + ref_mth(data[:k]) + ref_mth(data[k:]))


def ref_path(m: int, data: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 2.1.3.1 PATH(m, D[n])."""
    n = len(data)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*ref_path(m, data[:k]), ref_mth(data[k:])]
    return [*ref_path(m - k, data[k:]), ref_mth(data[:k])]


def ref_subproof(m: int, data: Sequence[bytes], whole: bool) -> list[bytes]:
    """RFC 9162 2.1.4.1 SUBPROOF(m, D[n], b)."""
    n = len(data)
    if m == n:
        return [] if whole else [ref_mth(data)]
    k = _k(n)
    if m <= k:
        return [*ref_subproof(m, data[:k], whole), ref_mth(data[k:])]
    return [*ref_subproof(m - k, data[k:], False), ref_mth(data[:k])]


def ref_proof(m: int, data: Sequence[bytes]) -> list[bytes]:
    """RFC 9162 2.1.4.1 PROOF(m, D[n]) for 0 < m <= n."""
    return ref_subproof(m, data, True)


# --------------------------------------------------------------------------- fixtures

MAX_SIZE = 1100
DATA = [b"gorod entry %d" % i for i in range(MAX_SIZE)]
LEAVES = [_sha256(b"\x00" + d) for d in DATA]


def _perfect_nodes(leaves: Sequence[bytes]) -> dict[tuple[int, int], bytes]:
    """Every perfect subtree of ``leaves``, level by level, straight from the definition."""
    nodes: dict[tuple[int, int], bytes] = {}
    level, row = 0, list(leaves)
    while row:
        nodes.update(((level, index), node) for index, node in enumerate(row))
        row = [_sha256(b"\x01" + row[i] + row[i + 1]) for i in range(0, len(row) - 1, 2)]
        level += 1
    return nodes


STORE = _perfect_nodes(LEAVES)


def _complete(level: int, index: int, size: int) -> bool:
    return index >= 0 and level >= 0 and (index + 1) << level <= size


class Store:
    """A get_node that counts reads and fails on any node not yet complete at ``size``."""

    def __init__(self, size: int, nodes: dict[tuple[int, int], bytes] | None = None) -> None:
        self.size = size
        self.nodes = STORE if nodes is None else nodes
        self.reads: list[tuple[int, int]] = []

    def __call__(self, level: int, index: int) -> bytes:
        assert _complete(level, index, self.size), f"({level}, {index}) absent at {self.size}"
        self.reads.append((level, index))
        return self.nodes[(level, index)]


class SyntheticStore(Store):
    """For huge trees: any complete node reads as a hash of its address."""

    def __call__(self, level: int, index: int) -> bytes:
        assert _complete(level, index, self.size), f"({level}, {index}) absent at {self.size}"
        self.reads.append((level, index))
        return _sha256(b"%d/%d" % (level, index))


def _log2_ceil(n: int) -> int:
    """ceil(log2(n)) for n >= 1, exactly, in integers."""
    return (n - 1).bit_length()


def _flip(value: bytes, bit: int) -> bytes:
    mutable = bytearray(value)
    mutable[bit // 8] ^= 1 << (bit % 8)
    return bytes(mutable)


def _inclusion_cases(max_size: int = 33) -> Iterator[tuple[int, int, list[bytes], bytes]]:
    """(index, size, proof, root) for every index of every size 1..max_size."""
    for size in range(1, max_size + 1):
        root = root_hash(LEAVES[:size])
        for index in range(size):
            yield index, size, inclusion_proof(LEAVES[:size], index), root


def _consistency_cases(max_size: int = 33) -> Iterator[tuple[int, int, list[bytes]]]:
    """(old, new, proof) for every 0 < old < new <= max_size."""
    for new in range(2, max_size + 1):
        for old in range(1, new):
            yield old, new, consistency_proof(LEAVES[:new], old)


ROOTS = [root_hash(LEAVES[:size]) for size in range(66)]
BITS = (0, 1, 7, 8, 128, 255)
OTHER_HASH = _sha256(b"some other hash")

# certificate-transparency / transparency-dev test vectors (testonly/constants.go,
# proof/verify_test.go, testonly/reference_test.go)
CT_DATA = [
    bytes.fromhex(x)
    for x in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_LEAF_0 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
CT_LEAF_1 = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"
CT_LEAF_4 = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
CT_NODE_1_1 = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"
CT_NODE_1_2 = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
CT_NODE_1_3 = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"
CT_NODE_2_0 = "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
CT_NODE_2_1 = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
CT_INCLUSION = [
    (0, 1, []),
    (0, 2, [CT_LEAF_1]),
    (1, 2, [CT_LEAF_0]),
    (2, 3, [CT_ROOTS[2]]),
    (1, 5, [CT_LEAF_0, CT_NODE_1_1, CT_LEAF_4]),
    (0, 8, [CT_LEAF_1, CT_NODE_1_1, CT_NODE_2_1]),
    (5, 8, [CT_LEAF_4, CT_NODE_1_3, CT_NODE_2_0]),
]
CT_CONSISTENCY = [
    (1, 1, []),
    (1, 8, [CT_LEAF_1, CT_NODE_1_1, CT_NODE_2_1]),
    (6, 8, [CT_NODE_1_2, CT_NODE_1_3, CT_NODE_2_0]),
    (2, 5, [CT_NODE_1_1, CT_LEAF_4]),
]


def _hexes(hashes: Sequence[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


# --------------------------------------------------------------------------- known answers


def test_empty_tree_root_is_sha256_of_empty_string() -> None:
    expected = bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert root_hash([]) == expected
    assert expected == EMPTY_ROOT


def test_leaf_hash_is_sha256_of_0x00_and_data() -> None:
    assert leaf_hash(b"") == bytes.fromhex(CT_LEAF_0)
    assert leaf_hash(b"L123456") == bytes.fromhex(
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )


def test_node_hash_is_sha256_of_0x01_left_right() -> None:
    assert node_hash(b"N123", b"N456") == bytes.fromhex(
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


def test_one_leaf_tree_root_is_the_leaf_hash() -> None:
    leaf = leaf_hash(b"data")
    assert root_hash([leaf]) == leaf == _sha256(b"\x00data")
    assert inclusion_proof([leaf], 0) == []
    assert verify_inclusion(leaf, 0, 1, [], leaf)


def test_roots_match_certificate_transparency_vectors() -> None:
    leaves = [leaf_hash(d) for d in CT_DATA]
    assert [root_hash(leaves[:n]).hex() for n in range(9)] == CT_ROOTS


def test_inclusion_proofs_match_certificate_transparency_vectors() -> None:
    leaves = [leaf_hash(d) for d in CT_DATA]
    for index, size, expected in CT_INCLUSION:
        assert _hexes(inclusion_proof(leaves[:size], index)) == expected, (index, size)


def test_consistency_proofs_match_certificate_transparency_vectors() -> None:
    leaves = [leaf_hash(d) for d in CT_DATA]
    for old, new, expected in CT_CONSISTENCY:
        assert _hexes(consistency_proof(leaves[:new], old)) == expected, (old, new)


def test_root_hash_matches_rfc_recursive_mth_for_sizes_1_to_70() -> None:
    for size in range(1, 71):
        assert root_hash(LEAVES[:size]) == ref_mth(DATA[:size]), size


def test_inclusion_proof_matches_rfc_recursive_path_for_sizes_1_to_70() -> None:
    for size in range(1, 71):
        for index in range(size):
            assert inclusion_proof(LEAVES[:size], index) == ref_path(index, DATA[:size])


def test_consistency_proof_matches_rfc_recursive_proof_for_sizes_1_to_70() -> None:
    for new in range(1, 71):
        for old in range(1, new + 1):
            assert consistency_proof(LEAVES[:new], old) == ref_proof(old, DATA[:new])


def test_consistency_proof_is_empty_from_the_empty_tree_and_between_equal_sizes() -> None:
    for size in range(6):
        assert consistency_proof(LEAVES[:size], 0) == []
        assert consistency_proof(LEAVES[:size], size) == []


@pytest.mark.parametrize(("size", "index"), [(0, 0), (1, 1), (5, 5), (5, 9), (5, -1)])
def test_inclusion_proof_raises_for_index_out_of_range(size: int, index: int) -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof(LEAVES[:size], index)


@pytest.mark.parametrize(("size", "old"), [(0, 1), (5, 6), (5, -1)])
def test_consistency_proof_raises_for_old_size_out_of_range(size: int, old: int) -> None:
    with pytest.raises(ValueError, match="old size"):
        consistency_proof(LEAVES[:size], old)


def test_list_functions_raise_for_raw_data_instead_of_leaf_hashes() -> None:
    for call in (
        lambda: root_hash([b"raw entry"]),
        lambda: inclusion_proof([b"raw entry"], 0),
        lambda: consistency_proof([b"raw entry"], 0),
    ):
        with pytest.raises(ValueError, match="not 32"):
            call()


def test_root_hash_computes_exactly_n_minus_1_node_hashes(monkeypatch: Any) -> None:
    calls = 0
    real = merkle.node_hash

    def counting(left: bytes, right: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return real(left, right)

    monkeypatch.setattr(merkle, "node_hash", counting)
    for size in (1, 2, 3, 255, 256, 257, 1000):
        calls = 0
        root_hash(LEAVES[:size])
        assert calls == size - 1, size


def test_list_proofs_compute_fewer_than_n_node_hashes(monkeypatch: Any) -> None:
    calls = 0
    real = merkle.node_hash

    def counting(left: bytes, right: bytes) -> bytes:
        nonlocal calls
        calls += 1
        return real(left, right)

    monkeypatch.setattr(merkle, "node_hash", counting)
    for size in (1, 2, 7, 100, 1000):
        for other in (0, size // 3, size - 1):
            calls = 0
            inclusion_proof(LEAVES[:size], other)
            assert calls < size
            calls = 0
            consistency_proof(LEAVES[:size], other)
            assert calls < size


# --------------------------------------------------------------------------- properties


def test_every_inclusion_proof_verifies_for_sizes_up_to_64() -> None:
    for size in range(1, 65):
        for index in range(size):
            proof = inclusion_proof(LEAVES[:size], index)
            assert verify_inclusion(LEAVES[index], index, size, proof, ROOTS[size])


@given(st.data())
def test_random_inclusion_proofs_verify(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 300), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    leaves = LEAVES[:size]
    assert verify_inclusion(
        leaves[index], index, size, inclusion_proof(leaves, index), root_hash(leaves)
    )


def test_every_consistency_proof_verifies_for_sizes_up_to_64() -> None:
    for new in range(65):
        for old in range(new + 1):
            proof = consistency_proof(LEAVES[:new], old)
            assert verify_consistency(old, new, ROOTS[old], ROOTS[new], proof), (old, new)


@given(st.data())
def test_random_consistency_proofs_verify(data: st.DataObject) -> None:
    new = data.draw(st.integers(1, 300), label="new")
    old = data.draw(st.integers(0, new), label="old")
    proof = consistency_proof(LEAVES[:new], old)
    assert verify_consistency(old, new, root_hash(LEAVES[:old]), root_hash(LEAVES[:new]), proof)


# --------------------------------------------------------------------------- inclusion corruption


def test_verify_inclusion_rejects_wrong_index() -> None:
    for index, size, proof, root in _inclusion_cases():
        for other in range(size + 2):
            if other != index:
                assert not verify_inclusion(LEAVES[index], other, size, proof, root)


def test_verify_inclusion_rejects_wrong_size_with_that_sizes_root() -> None:
    for index, size, proof, root in _inclusion_cases(20):
        for other in range(index + 1, 40):
            if other != size:
                assert not verify_inclusion(LEAVES[index], index, other, proof, ROOTS[other])
        assert verify_inclusion(LEAVES[index], index, size, proof, root)


def test_verify_inclusion_rejects_doubled_or_halved_size() -> None:
    for index, size, proof, root in _inclusion_cases():
        assert not verify_inclusion(LEAVES[index], index, size * 2, proof, root)
        if index < size // 2:
            assert not verify_inclusion(LEAVES[index], index, size // 2, proof, root)


def test_verify_inclusion_size_is_not_bound_by_the_root_alone() -> None:
    # Documented RFC behaviour: sizes 3 and 4 give index 0 the same path shape, so the size
    # must come from the same signed head as the root. This pins the docstring's warning.
    proof = inclusion_proof(LEAVES[:3], 0)
    assert verify_inclusion(LEAVES[0], 0, 4, proof, ROOTS[3])


def test_verify_inclusion_rejects_flipped_bit_in_any_proof_element() -> None:
    for index, size, proof, root in _inclusion_cases():
        for position in range(len(proof)):
            for bit in BITS:
                broken = list(proof)
                broken[position] = _flip(broken[position], bit)
                assert not verify_inclusion(LEAVES[index], index, size, broken, root)


def test_verify_inclusion_rejects_flipped_bit_in_leaf() -> None:
    for index, size, proof, root in _inclusion_cases():
        for bit in BITS:
            assert not verify_inclusion(_flip(LEAVES[index], bit), index, size, proof, root)


def test_verify_inclusion_rejects_flipped_bit_in_root() -> None:
    for index, size, proof, root in _inclusion_cases():
        for bit in BITS:
            assert not verify_inclusion(LEAVES[index], index, size, proof, _flip(root, bit))


def test_verify_inclusion_rejects_missing_element() -> None:
    for index, size, proof, root in _inclusion_cases():
        for position in range(len(proof)):
            shorter = proof[:position] + proof[position + 1 :]
            assert not verify_inclusion(LEAVES[index], index, size, shorter, root)


def test_verify_inclusion_rejects_extra_element() -> None:
    for index, size, proof, root in _inclusion_cases():
        for extra in (root, LEAVES[index], OTHER_HASH, bytes(32)):
            for position in range(len(proof) + 1):
                longer = [*proof[:position], extra, *proof[position:]]
                assert not verify_inclusion(LEAVES[index], index, size, longer, root)


def test_verify_inclusion_rejects_elements_that_are_not_32_bytes() -> None:
    for index, size, proof, root in _inclusion_cases(16):
        for position in range(len(proof)):
            for resized in (b"", proof[position][:31], proof[position] + b"\x00"):
                broken = list(proof)
                broken[position] = resized
                assert not verify_inclusion(LEAVES[index], index, size, broken, root)


def test_verify_inclusion_rejects_leaf_or_root_that_is_not_32_bytes() -> None:
    proof = inclusion_proof(LEAVES[:5], 2)
    assert not verify_inclusion(LEAVES[2][:31], 2, 5, proof, ROOTS[5])
    assert not verify_inclusion(LEAVES[2], 2, 5, proof, ROOTS[5] + b"\x00")
    assert not verify_inclusion(b"", 0, 1, [], b"")


def test_verify_inclusion_rejects_negative_numbers() -> None:
    proof = inclusion_proof(LEAVES[:5], 2)
    assert not verify_inclusion(LEAVES[2], -1, 5, proof, ROOTS[5])
    assert not verify_inclusion(LEAVES[2], 2, -5, proof, ROOTS[5])
    assert not verify_inclusion(LEAVES[0], -1, -1, [], LEAVES[0])


def test_verify_inclusion_rejects_index_not_below_size() -> None:
    assert not verify_inclusion(LEAVES[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(LEAVES[0], 1, 1, [], LEAVES[0])
    proof = inclusion_proof(LEAVES[:5], 4)
    assert not verify_inclusion(LEAVES[4], 5, 5, proof, ROOTS[5])
    assert not verify_inclusion(LEAVES[4], 9, 5, proof, ROOTS[5])


class _HostileSequence(Sequence[bytes]):
    def __len__(self) -> int:
        return 2

    def __getitem__(self, index: Any) -> Any:
        raise RuntimeError("boom")


def _stable_id(value: Any) -> str:
    """A test id without memory addresses, so every xdist worker collects the same tests."""
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))


GARBAGE_PROOFS: list[Any] = [
    None,
    7,
    3.5,
    "a" * 32,
    b"\x00" * 32,
    bytearray(32),
    memoryview(bytes(32)),
    {"a": 1},
    {bytes(32)},
    iter([bytes(32)]),
    _HostileSequence(),
    [None],
    [1, 2],
    ["x" * 32],
    [bytearray(32)],
    [memoryview(bytes(32))],
    [[bytes(32)]],
    [bytes(32), None],
]


@pytest.mark.parametrize("garbage", GARBAGE_PROOFS, ids=_stable_id)
def test_verify_inclusion_rejects_garbage_proof_types(garbage: Any) -> None:
    assert verify_inclusion(LEAVES[0], 0, 2, [LEAVES[1]], ROOTS[2])
    assert verify_inclusion(LEAVES[0], 0, 2, garbage, ROOTS[2]) is False


# bytearray / memoryview hashes are refused too: the verifier takes bytes only.
GARBAGE_SCALARS: list[Any] = [
    None,
    1.0,
    "1",
    b"1",
    True,
    [1],
    object(),
    bytearray(32),
    memoryview(bytes(32)),
]


@pytest.mark.parametrize("garbage", GARBAGE_SCALARS, ids=_stable_id)
def test_verify_inclusion_rejects_garbage_argument_types(garbage: Any) -> None:
    proof = [LEAVES[1]]
    assert verify_inclusion(garbage, 0, 2, proof, ROOTS[2]) is False
    assert verify_inclusion(LEAVES[0], garbage, 2, proof, ROOTS[2]) is False
    assert verify_inclusion(LEAVES[0], 0, garbage, proof, ROOTS[2]) is False
    assert verify_inclusion(LEAVES[0], 0, 2, proof, garbage) is False


def test_verify_inclusion_accepts_a_tuple_proof() -> None:
    proof = tuple(inclusion_proof(LEAVES[:9], 8))
    assert verify_inclusion(LEAVES[8], 8, 9, proof, ROOTS[9])


@given(
    size=st.integers(1, 300),
    data=st.data(),
)
def test_random_single_bit_flips_in_inclusion_proofs_are_rejected(
    size: int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, size - 1), label="index")
    leaves = LEAVES[:size]
    proof = inclusion_proof(leaves, index)
    root = root_hash(leaves)
    targets = len(proof) + 2
    target = data.draw(st.integers(0, targets - 1), label="target")
    bit = data.draw(st.integers(0, 255), label="bit")
    leaf = leaves[index]
    if target == len(proof):
        leaf = _flip(leaf, bit)
    elif target == len(proof) + 1:
        root = _flip(root, bit)
    else:
        proof[target] = _flip(proof[target], bit)
    assert not verify_inclusion(leaf, index, size, proof, root)


# --------------------------------------------------------------------------- consistency corruption


def test_verify_consistency_rejects_flipped_bit_in_any_proof_element() -> None:
    for old, new, proof in _consistency_cases():
        for position in range(len(proof)):
            for bit in BITS:
                broken = list(proof)
                broken[position] = _flip(broken[position], bit)
                assert not verify_consistency(old, new, ROOTS[old], ROOTS[new], broken)


def test_verify_consistency_rejects_flipped_bit_in_old_root() -> None:
    for old, new, proof in _consistency_cases():
        for bit in BITS:
            assert not verify_consistency(old, new, _flip(ROOTS[old], bit), ROOTS[new], proof)


def test_verify_consistency_rejects_flipped_bit_in_new_root() -> None:
    for old, new, proof in _consistency_cases():
        for bit in BITS:
            assert not verify_consistency(old, new, ROOTS[old], _flip(ROOTS[new], bit), proof)


def test_verify_consistency_rejects_missing_element() -> None:
    for old, new, proof in _consistency_cases():
        for position in range(len(proof)):
            shorter = proof[:position] + proof[position + 1 :]
            assert not verify_consistency(old, new, ROOTS[old], ROOTS[new], shorter)


def test_verify_consistency_rejects_extra_element() -> None:
    for old, new, proof in _consistency_cases():
        for extra in (ROOTS[old], ROOTS[new], OTHER_HASH, bytes(32)):
            for position in range(len(proof) + 1):
                longer = [*proof[:position], extra, *proof[position:]]
                assert not verify_consistency(old, new, ROOTS[old], ROOTS[new], longer)


def test_verify_consistency_rejects_swapped_roots() -> None:
    for old, new, proof in _consistency_cases():
        assert not verify_consistency(old, new, ROOTS[new], ROOTS[old], proof)
        assert not verify_consistency(new, old, ROOTS[new], ROOTS[old], proof)


def test_verify_consistency_rejects_wrong_sizes_with_those_sizes_roots() -> None:
    for old, new, proof in _consistency_cases(20):
        for other_old in range(1, 40):
            for other_new in range(other_old, 40):
                if (other_old, other_new) != (old, new):
                    assert not verify_consistency(
                        other_old, other_new, ROOTS[other_old], ROOTS[other_new], proof
                    ), (old, new, other_old, other_new)


def test_verify_consistency_rejects_empty_proof_between_different_sizes() -> None:
    for old, new, _proof in _consistency_cases(16):
        assert not verify_consistency(old, new, ROOTS[old], ROOTS[new], [])


def test_verify_consistency_rejects_elements_that_are_not_32_bytes() -> None:
    for old, new, proof in _consistency_cases(16):
        for position in range(len(proof)):
            for resized in (b"", proof[position][:31], proof[position] + b"\x00"):
                broken = list(proof)
                broken[position] = resized
                assert not verify_consistency(old, new, ROOTS[old], ROOTS[new], broken)


def test_verify_consistency_rejects_roots_that_are_not_32_bytes() -> None:
    proof = consistency_proof(LEAVES[:7], 3)
    assert not verify_consistency(3, 7, ROOTS[3][:31], ROOTS[7], proof)
    assert not verify_consistency(3, 7, ROOTS[3], ROOTS[7] + b"\x00", proof)
    assert not verify_consistency(3, 3, b"", b"", [])


def test_verify_consistency_rejects_negative_sizes() -> None:
    proof = consistency_proof(LEAVES[:7], 3)
    assert not verify_consistency(-3, 7, ROOTS[3], ROOTS[7], proof)
    assert not verify_consistency(3, -7, ROOTS[3], ROOTS[7], proof)
    assert not verify_consistency(-1, -1, ROOTS[1], ROOTS[1], [])


def test_verify_consistency_rejects_old_size_above_new_size() -> None:
    assert not verify_consistency(7, 3, ROOTS[7], ROOTS[3], consistency_proof(LEAVES[:7], 3))
    assert not verify_consistency(7, 3, ROOTS[7], ROOTS[3], [])


@pytest.mark.parametrize("garbage", GARBAGE_PROOFS, ids=_stable_id)
def test_verify_consistency_rejects_garbage_proof_types(garbage: Any) -> None:
    assert verify_consistency(3, 7, ROOTS[3], ROOTS[7], consistency_proof(LEAVES[:7], 3))
    assert verify_consistency(3, 7, ROOTS[3], ROOTS[7], garbage) is False
    assert verify_consistency(3, 3, ROOTS[3], ROOTS[3], garbage) is False
    assert verify_consistency(0, 3, EMPTY_ROOT, ROOTS[3], garbage) is False


@pytest.mark.parametrize("garbage", GARBAGE_SCALARS, ids=_stable_id)
def test_verify_consistency_rejects_garbage_argument_types(garbage: Any) -> None:
    proof = consistency_proof(LEAVES[:7], 3)
    assert verify_consistency(garbage, 7, ROOTS[3], ROOTS[7], proof) is False
    assert verify_consistency(3, garbage, ROOTS[3], ROOTS[7], proof) is False
    assert verify_consistency(3, 7, garbage, ROOTS[7], proof) is False
    assert verify_consistency(3, 7, ROOTS[3], garbage, proof) is False


def test_verify_consistency_of_equal_sizes_needs_empty_proof_and_equal_roots() -> None:
    assert verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[4], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[5], [ROOTS[5]])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 0, OTHER_HASH, OTHER_HASH, [])


def test_verify_consistency_from_empty_tree_needs_empty_proof_and_empty_root() -> None:
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [ROOTS[5]])
    assert not verify_consistency(0, 5, ROOTS[5], ROOTS[5], [])


@given(new=st.integers(2, 300), data=st.data())
def test_random_single_bit_flips_in_consistency_proofs_are_rejected(
    new: int, data: st.DataObject
) -> None:
    old = data.draw(st.integers(1, new - 1), label="old")
    proof = consistency_proof(LEAVES[:new], old)
    old_root, new_root = root_hash(LEAVES[:old]), root_hash(LEAVES[:new])
    target = data.draw(st.integers(0, len(proof) + 1), label="target")
    bit = data.draw(st.integers(0, 255), label="bit")
    if target == len(proof):
        old_root = _flip(old_root, bit)
    elif target == len(proof) + 1:
        new_root = _flip(new_root, bit)
    else:
        proof[target] = _flip(proof[target], bit)
    assert not verify_consistency(old, new, old_root, new_root, proof)


# --------------------------------------------------------------------------- perfect-node store


def test_store_fixture_nodes_are_the_mth_of_their_leaf_range() -> None:
    for (level, index), node in STORE.items():
        if level <= 6 and index < 40:
            start = index << level
            assert node == ref_mth(DATA[start : start + (1 << level)])


def test_required_nodes_for_root_tile_the_tree_largest_first() -> None:
    for size in range(300):
        nodes = required_nodes_for_root(size)
        assert len(nodes) == size.bit_count()
        assert [level for level, _ in nodes] == sorted((lv for lv, _ in nodes), reverse=True)
        cursor = 0
        for level, index in nodes:
            assert index << level == cursor
            cursor += 1 << level
        assert cursor == size


def test_root_from_nodes_equals_root_hash_for_sizes_0_to_200() -> None:
    for size in range(201):
        store = Store(size)
        assert root_from_nodes(size, store) == root_hash(LEAVES[:size]), size
        assert store.reads == required_nodes_for_root(size)
        assert len(store.reads) <= max(size, 1).bit_length()


def test_root_from_empty_store_reads_nothing() -> None:
    store = Store(0)
    assert root_from_nodes(0, store) == EMPTY_ROOT
    assert store.reads == []


def test_inclusion_proof_from_nodes_equals_list_proof_for_sizes_1_to_100() -> None:
    for size in range(1, 101):
        for index in range(size):
            store = Store(size)
            expected = inclusion_proof(LEAVES[:size], index)
            assert inclusion_proof_from_nodes(index, size, store) == expected, (index, size)
            assert store.reads == inclusion_proof_nodes(index, size)


@settings(deadline=None)
@given(size=st.integers(101, MAX_SIZE), data=st.data())
def test_inclusion_proof_from_nodes_equals_list_proof_for_larger_sizes(
    size: int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, size - 1), label="index")
    store = Store(size)
    expected = inclusion_proof(LEAVES[:size], index)
    assert inclusion_proof_from_nodes(index, size, store) == expected
    assert store.reads == inclusion_proof_nodes(index, size)


def test_consistency_proof_from_nodes_equals_list_proof_for_sizes_0_to_64() -> None:
    for new in range(65):
        for old in range(new + 1):
            store = Store(new)
            expected = consistency_proof(LEAVES[:new], old)
            assert consistency_proof_from_nodes(old, new, store) == expected, (old, new)
            assert store.reads == consistency_proof_nodes(old, new)


@settings(deadline=None)
@given(new=st.integers(65, MAX_SIZE), data=st.data())
def test_consistency_proof_from_nodes_equals_list_proof_for_larger_sizes(
    new: int, data: st.DataObject
) -> None:
    old = data.draw(st.integers(0, new), label="old")
    store = Store(new)
    expected = consistency_proof(LEAVES[:new], old)
    assert consistency_proof_from_nodes(old, new, store) == expected
    assert store.reads == consistency_proof_nodes(old, new)


def test_proof_node_lists_have_no_repeats() -> None:
    for size in range(1, 130):
        for other in range(size):
            nodes = inclusion_proof_nodes(other, size)
            assert len(set(nodes)) == len(nodes)
            nodes = consistency_proof_nodes(other, size)
            assert len(set(nodes)) == len(nodes)


def test_inclusion_proof_reads_at_most_2_log2_n_plus_2_nodes() -> None:
    for size in range(1, 201):
        bound = 2 * _log2_ceil(size) + 2
        for index in range(size):
            store = SyntheticStore(size)
            inclusion_proof_from_nodes(index, size, store)
            assert len(store.reads) <= bound, (index, size)


def test_consistency_proof_reads_at_most_2_log2_n_plus_2_nodes() -> None:
    for size in range(1, 201):
        bound = 2 * _log2_ceil(size) + 2
        for old in range(size + 1):
            store = SyntheticStore(size)
            consistency_proof_from_nodes(old, size, store)
            assert len(store.reads) <= bound, (old, size)


@given(size=st.integers(1, 2**64), data=st.data())
def test_proofs_in_huge_trees_read_logarithmically_many_existing_nodes(
    size: int, data: st.DataObject
) -> None:
    bound = 2 * _log2_ceil(size) + 2
    index = data.draw(st.integers(0, size - 1), label="index")
    store = SyntheticStore(size)
    assert len(inclusion_proof_from_nodes(index, size, store)) <= _log2_ceil(size)
    assert len(store.reads) <= bound
    old = data.draw(st.integers(0, size), label="old")
    store = SyntheticStore(size)
    consistency_proof_from_nodes(old, size, store)
    assert len(store.reads) <= bound
    store = SyntheticStore(size)
    root_from_nodes(size, store)
    assert len(store.reads) == size.bit_count()


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (-1, 3)])
def test_store_inclusion_functions_raise_for_index_out_of_range(index: int, size: int) -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof_nodes(index, size)
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_proof_from_nodes(index, size, Store(max(size, 0)))


@pytest.mark.parametrize(("old", "new"), [(4, 3), (-1, 3)])
def test_store_consistency_functions_raise_for_old_size_out_of_range(old: int, new: int) -> None:
    with pytest.raises(ValueError, match="old size"):
        consistency_proof_nodes(old, new)
    with pytest.raises(ValueError, match="old size"):
        consistency_proof_from_nodes(old, new, Store(new))


def test_store_functions_raise_for_negative_size() -> None:
    with pytest.raises(ValueError, match="negative"):
        required_nodes_for_root(-1)
    with pytest.raises(ValueError, match="negative"):
        root_from_nodes(-1, Store(0))
    with pytest.raises(ValueError, match="negative"):
        nodes_completed_by_appends(-1, [LEAVES[0]], Store(0))


def test_stored_node_may_be_a_memoryview() -> None:
    def get_node(level: int, index: int) -> Any:
        return memoryview(STORE[(level, index)])

    proof = inclusion_proof_from_nodes(3, 11, get_node)
    assert proof == inclusion_proof(LEAVES[:11], 3)
    assert all(type(element) is bytes for element in proof)


def test_corrupt_stored_node_raises_value_error() -> None:
    def get_node(level: int, index: int) -> bytes:
        return STORE[(level, index)][:16]

    with pytest.raises(ValueError, match="stored node"):
        root_from_nodes(11, get_node)


# --------------------------------------------------------------------------- appends


def _scratch_completed(size_before: int, size_after: int) -> list[tuple[int, int, bytes]]:
    """The perfect nodes complete at size_after but not at size_before, from STORE."""
    completed = []
    for level in range(size_after.bit_length()):
        for index in range(size_before >> level, size_after >> level):
            assert _complete(level, index, size_after)
            assert not _complete(level, index, size_before)
            completed.append((level, index, STORE[(level, index)]))
    return completed


def _one_by_one(size_before: int, leaves: Sequence[bytes]) -> list[tuple[int, int, bytes]]:
    completed: list[tuple[int, int, bytes]] = []
    for offset, leaf in enumerate(leaves):
        size = size_before + offset
        completed.extend(nodes_completed_by_append(size, leaf, Store(size)))
    return completed


def test_single_append_returns_the_leaf_then_each_completed_parent() -> None:
    completed = nodes_completed_by_append(7, LEAVES[7], Store(7))
    assert completed == [
        (0, 7, LEAVES[7]),
        (1, 3, STORE[(1, 3)]),
        (2, 1, STORE[(2, 1)]),
        (3, 0, STORE[(3, 0)]),
    ]
    assert nodes_completed_by_append(8, LEAVES[8], Store(8)) == [(0, 8, LEAVES[8])]


def test_single_append_equals_perfect_nodes_built_from_scratch() -> None:
    for size in range(300):
        completed = nodes_completed_by_append(size, LEAVES[size], Store(size))
        assert completed == _scratch_completed(size, size + 1), size


def test_batch_append_equals_one_by_one_appends() -> None:
    for size_before in range(41):
        for count in range(41):
            leaves = LEAVES[size_before : size_before + count]
            batch = nodes_completed_by_appends(size_before, leaves, Store(size_before))
            assert batch == sorted(_one_by_one(size_before, leaves)), (size_before, count)


def test_batch_append_equals_perfect_nodes_built_from_scratch() -> None:
    for size_before in range(41):
        for count in range(41):
            leaves = LEAVES[size_before : size_before + count]
            batch = nodes_completed_by_appends(size_before, leaves, Store(size_before))
            assert batch == _scratch_completed(size_before, size_before + count)


def test_batch_append_from_empty_builds_every_perfect_node() -> None:
    store = Store(0)
    built = nodes_completed_by_appends(0, LEAVES, store)
    assert store.reads == []
    assert {(level, index): node for level, index, node in built} == STORE


@settings(deadline=None)
@given(
    size_before=st.integers(0, MAX_SIZE - 1),
    data=st.data(),
)
def test_random_batch_append_equals_scratch_and_one_by_one(
    size_before: int, data: st.DataObject
) -> None:
    count = data.draw(st.integers(0, MAX_SIZE - size_before), label="count")
    leaves = LEAVES[size_before : size_before + count]
    batch = nodes_completed_by_appends(size_before, leaves, Store(size_before))
    assert batch == _scratch_completed(size_before, size_before + count)
    assert batch == sorted(_one_by_one(size_before, leaves))


def test_empty_batch_append_completes_and_reads_nothing() -> None:
    store = Store(13)
    assert nodes_completed_by_appends(13, [], store) == []
    assert store.reads == []


def test_append_raises_for_leaf_that_is_not_32_bytes() -> None:
    with pytest.raises(ValueError, match="not 32"):
        nodes_completed_by_append(0, b"raw", Store(0))
    with pytest.raises(ValueError, match="not 32"):
        nodes_completed_by_appends(0, [LEAVES[0], b"raw"], Store(0))


def test_batch_append_reads_at_most_log2_n_plus_1_right_border_nodes() -> None:
    for size_before in range(1, 600):
        for count in (1, 2, 3, 64, 500):
            store = SyntheticStore(size_before)
            nodes_completed_by_appends(size_before, LEAVES[:count], store)
            assert len(store.reads) <= _log2_ceil(size_before) + 1
            assert set(store.reads) <= set(required_nodes_for_root(size_before))


@given(size_before=st.integers(0, 2**64), count=st.integers(1, 300))
def test_batch_append_to_huge_tree_reads_only_right_border_nodes(
    size_before: int, count: int
) -> None:
    store = SyntheticStore(size_before)
    completed = nodes_completed_by_appends(size_before, LEAVES[:count], store)
    assert len(store.reads) <= _log2_ceil(max(size_before, 1)) + 1
    assert len(store.reads) == len(set(store.reads))
    assert set(store.reads) <= set(required_nodes_for_root(size_before))
    size_after = size_before + count
    assert all(
        _complete(level, index, size_after) and not _complete(level, index, size_before)
        for level, index, _ in completed
    )


def _getter(nodes: dict[tuple[int, int], bytes]) -> Callable[[int, int], bytes]:
    """What a caller passes after fetching addresses in one query: a dict lookup."""
    return lambda level, index: nodes[(level, index)]


@settings(deadline=None)
@given(batches=st.lists(st.integers(0, 150), min_size=1, max_size=8))
def test_store_grown_by_random_batches_answers_like_the_list(batches: list[int]) -> None:
    """The database flow: fetch required_nodes_for_root(size), append, store, prove."""
    stored: dict[tuple[int, int], bytes] = {}
    size = 0
    for count in batches:
        leaves = LEAVES[size : size + count]
        known = {node: stored[node] for node in required_nodes_for_root(size)}
        completed = nodes_completed_by_appends(size, leaves, _getter(known))
        assert not {(level, index) for level, index, _ in completed} & stored.keys()
        stored.update(((level, index), node) for level, index, node in completed)
        known.update(((level, index), node) for level, index, node in completed)
        size += count
        assert root_from_nodes(size, _getter(known)) == root_hash(LEAVES[:size])
        assert stored == {node: h for node, h in STORE.items() if _complete(*node, size)}
    for index in range(0, size, max(size // 7, 1)):
        assert inclusion_proof_from_nodes(index, size, Store(size, stored)) == inclusion_proof(
            LEAVES[:size], index
        )


def test_batch_append_reads_a_left_sibling_only_where_size_before_has_a_1_bit() -> None:
    # 5 = 0b101: the new leaf 5 pairs with stored leaf 4 (level 0), and the new (3, 0)
    # needs the stored (2, 0) (level 2); level 1 starts at an even index and reads nothing.
    store = Store(5)
    completed = nodes_completed_by_appends(5, LEAVES[5:20], store)
    assert store.reads == [(0, 4), (2, 0)]
    assert completed == _scratch_completed(5, 20)
