"""Merkle hashing and proofs: RFC 6962 reference vectors, then random trees (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openhaven.ledger.merkle_proofs import (
    consistency_proof,
    inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from openhaven.ledger.merkle_tree import EMPTY_ROOT, CompactRange, leaf_hash, root_hash

# The eight leaves and the roots of their prefixes published with RFC 6962's reference code.
RFC_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]
RFC_ROOTS = [
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
# (leaf index, tree size, audit path)
RFC_INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
# (first size, second size, proof)
RFC_CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
LEAVES = [leaf_hash(data) for data in RFC_LEAVES]


def _root(size: int) -> bytes:
    return bytes.fromhex(RFC_ROOTS[size])


def test_roots_match_the_rfc_reference_for_every_size() -> None:
    assert _root(0) == EMPTY_ROOT
    for size in range(9):
        assert root_hash(LEAVES[:size]) == _root(size)
        assert CompactRange.of(LEAVES[:size]).root() == _root(size)


@pytest.mark.parametrize(("index", "size", "path"), RFC_INCLUSION)
def test_inclusion_proofs_match_the_rfc_reference(index: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(index, LEAVES[:size])
    assert [node.hex() for node in proof] == path
    assert verify_inclusion(index, size, LEAVES[index], proof, _root(size))
    assert not verify_inclusion(index, size, LEAVES[index], proof, _root(size - 1))


@pytest.mark.parametrize(("first", "second", "path"), RFC_CONSISTENCY)
def test_consistency_proofs_match_the_rfc_reference(first: int, second: int,
                                                    path: list[str]) -> None:
    proof = consistency_proof(first, LEAVES[:second])
    assert [node.hex() for node in proof] == path
    assert verify_consistency(first, second, proof, _root(first), _root(second))
    if first != second:
        assert not verify_consistency(first, second, proof, _root(second), _root(second))


def _leaves(count: int) -> list[bytes]:
    return [leaf_hash(index.to_bytes(4, "big")) for index in range(count)]


def _flip(node: bytes, bit: int) -> bytes:
    return bytes([node[0] ^ (1 << (bit % 8))]) + node[1:]


@settings(max_examples=150, deadline=None)
@given(data=st.data(), size=st.integers(min_value=1, max_value=300))
def test_every_inclusion_proof_verifies_and_a_tampered_one_fails(
    data: st.DataObject, size: int
) -> None:
    leaves = _leaves(size)
    root = root_hash(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    proof = inclusion_proof(index, leaves)
    assert verify_inclusion(index, size, leaves[index], proof, root)
    assert not verify_inclusion(index, size, _flip(leaves[index], index), proof, root)
    if proof:
        position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1),
                             label="position")
        tampered = [*proof]
        tampered[position] = _flip(tampered[position], position)
        assert not verify_inclusion(index, size, leaves[index], tampered, root)
        assert not verify_inclusion(index, size, leaves[index], proof[:-1], root)
    other = (index + 1) % size
    if other != index:
        assert not verify_inclusion(other, size, leaves[index], proof, root)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), second=st.integers(min_value=1, max_value=300))
def test_every_consistency_proof_verifies_and_a_tampered_one_fails(
    data: st.DataObject, second: int
) -> None:
    leaves = _leaves(second)
    first = data.draw(st.integers(min_value=1, max_value=second), label="first")
    first_root, second_root = root_hash(leaves[:first]), root_hash(leaves)
    assert CompactRange.of(leaves).root() == second_root
    proof = consistency_proof(first, leaves)
    assert verify_consistency(first, second, proof, first_root, second_root)
    if first == second:
        return
    assert not verify_consistency(first, second, proof, _flip(first_root, 1), second_root)
    assert not verify_consistency(first, second, proof, first_root, _flip(second_root, 2))
    position = data.draw(st.integers(min_value=0, max_value=len(proof) - 1), label="position")
    tampered = [*proof]
    tampered[position] = _flip(tampered[position], position)
    assert not verify_consistency(first, second, tampered, first_root, second_root)
    # A rewritten history (one earlier leaf changed) has no valid proof to the signed root.
    rewritten = [*leaves]
    rewritten[first - 1] = _flip(rewritten[first - 1], 3)
    forged = consistency_proof(first, rewritten)
    assert not verify_consistency(first, second, forged, first_root, root_hash(rewritten))
