"""Merkle tree hashing as RFC 6962 / RFC 9162 define it, and a compact range for appends.

A leaf's hash is ``SHA-256(0x00 || entry bytes)`` and an interior node's is
``SHA-256(0x01 || left || right)``; the two prefixes keep a leaf from ever being passed off
as a node. The root of ``n`` leaves (the RFC's MTH) splits at the largest power of two
smaller than ``n``, so trees of any size have one well-defined root.

``CompactRange`` holds only the roots of the perfect subtrees that make up the first ``n``
leaves (one per set bit of ``n``): appending a leaf and computing the root are both
O(log n), so the ledger never rereads its history to extend the tree. Full verification
recomputes everything from the entries instead of trusting this state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """The hash of one leaf: SHA-256 over 0x00 and the entry's exact bytes."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256 over 0x01, the left and the right child."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two strictly smaller than ``size`` (which must be at least 2)."""
    if size < 2:
        raise ValueError("a tree of fewer than two leaves has no split point")
    return 1 << ((size - 1).bit_length() - 1)


def root_hash(leaves: Sequence[bytes]) -> bytes:
    """The RFC's MTH over already-hashed leaves; the empty tree's root is SHA-256 of nothing."""
    if not leaves:
        return EMPTY_ROOT
    return subtree_root(leaves, 0, len(leaves))


def subtree_root(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH of ``leaves[start:end]`` (a non-empty range) without copying the slice."""
    size = end - start
    if size == 1:
        return leaves[start]
    middle = start + split_point(size)
    return node_hash(subtree_root(leaves, start, middle), subtree_root(leaves, middle, end))


class CompactRange:
    """The perfect-subtree roots covering leaves ``[0, size)``, largest subtree first."""

    __slots__ = ("_roots", "_size")

    def __init__(self, size: int = 0, roots: Iterable[bytes] = ()) -> None:
        self._size = size
        self._roots = list(roots)
        if size < 0 or len(self._roots) != size.bit_count():
            raise ValueError("a compact range needs one subtree root per set bit of its size")
        if any(len(root) != HASH_SIZE for root in self._roots):
            raise ValueError("every subtree root is a 32-byte hash")

    @classmethod
    def of(cls, leaves: Iterable[bytes]) -> CompactRange:
        compact = cls()
        for leaf in leaves:
            compact.append(leaf)
        return compact

    @property
    def size(self) -> int:
        return self._size

    @property
    def roots(self) -> tuple[bytes, ...]:
        return tuple(self._roots)

    def append(self, leaf: bytes) -> None:
        """Add one leaf hash, merging equal-sized subtrees as binary addition carries."""
        carry = self._size
        node = leaf
        while carry & 1:
            node = node_hash(self._roots.pop(), node)
            carry >>= 1
        self._roots.append(node)
        self._size += 1

    def root(self) -> bytes:
        """The tree's root: fold the subtree roots from the smallest (rightmost) up."""
        if not self._roots:
            return EMPTY_ROOT
        node = self._roots[-1]
        for left in reversed(self._roots[:-1]):
            node = node_hash(left, node)
        return node

    def copy(self) -> CompactRange:
        return CompactRange(self._size, self._roots)
