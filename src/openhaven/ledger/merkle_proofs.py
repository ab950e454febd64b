"""Inclusion and consistency proofs, built and checked as RFC 9162 sections 2.1.3 and 2.1.4 say.

An inclusion proof shows that one entry is leaf ``index`` of the tree whose signed root a
reader holds; a consistency proof shows that a later tree extends an earlier one without
changing anything in it (append-only). Building a proof needs the leaf hashes; checking one
needs only the hashes in the proof, the two sizes and the roots — which is why the
independent verifier in ``tools/`` can do it with nothing but the public key.

Building costs O(n) hashing (each level hashes the sibling subtrees once); checking costs
O(log n).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from openhaven.ledger.merkle_tree import node_hash, split_point, subtree_root


def inclusion_proof(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The audit path for leaf ``index`` in the tree of all ``leaves`` (RFC 9162 2.1.3.1)."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaves)} leaves")
    return _path(index, leaves, 0, len(leaves))


def consistency_proof(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """The proof that the tree of ``first`` leaves is a prefix of the tree of all ``leaves``.

    RFC 9162 2.1.4.1; ``first`` must be between 1 and the number of leaves.
    """
    if not 0 < first <= len(leaves):
        raise ValueError(f"no consistency proof from size {first} to size {len(leaves)}")
    return _subproof(first, leaves, 0, len(leaves), complete=True)


def verify_inclusion(
    index: int, tree_size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when ``proof`` shows ``leaf`` at ``index`` under ``root`` (RFC 9162 2.1.3.2)."""
    if not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    node = leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(node, root)


def verify_consistency(
    first: int,
    second: int,
    proof: Sequence[bytes],
    first_root: bytes,
    second_root: bytes,
) -> bool:
    """True when ``proof`` shows tree ``second`` extends tree ``first`` (RFC 9162 2.1.4.2)."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and hmac.compare_digest(first_root, second_root)
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_node = second_node = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            first_node = node_hash(node, first_node)
            second_node = node_hash(node, second_node)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            second_node = node_hash(second_node, node)
        fn >>= 1
        sn >>= 1
    return (
        sn == 0
        and hmac.compare_digest(first_node, first_root)
        and hmac.compare_digest(second_node, second_root)
    )


def _path(index: int, leaves: Sequence[bytes], start: int, end: int) -> list[bytes]:
    size = end - start
    if size == 1:
        return []
    middle = start + split_point(size)
    if start + index < middle:
        return [*_path(index, leaves, start, middle), subtree_root(leaves, middle, end)]
    return [*_path(start + index - middle, leaves, middle, end),
            subtree_root(leaves, start, middle)]


def _subproof(
    first: int, leaves: Sequence[bytes], start: int, end: int, *, complete: bool
) -> list[bytes]:
    size = end - start
    if first == size:
        return [] if complete else [subtree_root(leaves, start, end)]
    half = split_point(size)
    if first <= half:
        return [*_subproof(first, leaves, start, start + half, complete=complete),
                subtree_root(leaves, start + half, end)]
    return [*_subproof(first - half, leaves, start + half, end, complete=False),
            subtree_root(leaves, start, start + half)]
