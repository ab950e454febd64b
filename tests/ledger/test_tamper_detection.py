"""Every single-byte change, deletion and reordering in the ledger's files is detected.

The files are changed on disk exactly as an intruder with write access could change them;
verification must fail and name the first entry that can no longer be trusted.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from openhaven.core.haven import Haven
from openhaven.ledger import audit_log, record_event, sign_tree_head, verify
from openhaven.ledger.audit_log import ENTRIES_FILE, encode, entry_hash
from openhaven.ledger.signing_key import export_public_key, public_key_path, signing_key_path
from openhaven.ledger.tree_heads import TREE_HEADS_FILE

ENTRY_COUNT = 12


@pytest.fixture
def haven(tmp_path: Path) -> Haven:
    haven = Haven.open(tmp_path / "haven")
    for i in range(ENTRY_COUNT):
        record_event(haven, "test.step", actor="person:7", subject=f"project:P{i}",
                     details={"i": i, "note": "caf\u00e9 \u2014 [ok]", "flags": [True, None]})
    assert verify(haven).ok
    return haven


def _entries(haven: Haven) -> Path:
    return haven.paths.ledger / ENTRIES_FILE


def _heads(haven: Haven) -> Path:
    return haven.paths.ledger / TREE_HEADS_FILE


def _positions(data: bytes, rng: random.Random) -> list[int]:
    """Structural bytes of every kind (punctuation, hash digits, newlines) and random ones."""
    chosen = {0, len(data) - 1}
    for marker in (b'"hash":"', b'"prev":"', b'"root_hash":"', b'"signature":"', b'"seq":',
                   b'"tree_size":', b"\\u", b"{", b"}", b",", b":", b"[", b"\n"):
        occurrences = [i for i in range(len(data)) if data.startswith(marker, i)]
        for found in rng.sample(occurrences, min(4, len(occurrences))):
            chosen.update({found, found + len(marker) - 1,
                           min(found + len(marker) + 5, len(data) - 1)})
    chosen.update(rng.sample(range(len(data)), 40))
    return sorted(chosen)


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position)


@pytest.mark.parametrize("file", [ENTRIES_FILE, TREE_HEADS_FILE])
def test_every_single_byte_change_is_detected(haven: Haven, file: str) -> None:
    path = haven.paths.ledger / file
    original = path.read_bytes()
    rng = random.Random(9162)
    positions = _positions(original, rng)
    assert len(positions) > 80
    for position in positions:
        for replacement in {original[position] ^ 0x01, rng.randrange(256)} - {original[position]}:
            path.write_bytes(original[:position] + bytes([replacement]) + original[position + 1:])
            result = verify(haven)
            line = _line_of(original, position)
            where = f"byte {position} (line {line}) set to {replacement:#04x}"
            assert not result.ok, where
            # entries: the changed line; heads: line n vouches for entries 0..n, so once it
            # is untrustworthy, entry n is the first no longer covered.
            assert result.first_bad == line, (where, result)
    path.write_bytes(original)
    assert verify(haven).ok


@pytest.mark.parametrize("removed", [0, 5, ENTRY_COUNT - 1])
def test_a_removed_entry_is_detected(haven: Haven, removed: int) -> None:
    lines = _entries(haven).read_bytes().splitlines(keepends=True)
    del lines[removed]
    _entries(haven).write_bytes(b"".join(lines))
    result = verify(haven)
    assert not result.ok and result.first_bad == removed


@pytest.mark.parametrize(("a", "b"), [(0, 1), (3, 7), (ENTRY_COUNT - 2, ENTRY_COUNT - 1)])
def test_reordered_entries_are_detected(haven: Haven, a: int, b: int) -> None:
    lines = _entries(haven).read_bytes().splitlines(keepends=True)
    lines[a], lines[b] = lines[b], lines[a]
    _entries(haven).write_bytes(b"".join(lines))
    result = verify(haven)
    assert not result.ok and result.first_bad == a


def _rewrite_consistently(haven: Haven, lines: list[bytes]) -> None:
    """What an intruder without the signing key can do best: redo the whole hash chain."""
    prev = "0" * 64
    out = []
    for seq, line in enumerate(lines):
        record = json.loads(line)
        record.pop("hash")
        record.update(seq=seq, prev=prev)
        record["hash"] = prev = entry_hash(record)
        out.append(encode(record) + b"\n")
    _entries(haven).write_bytes(b"".join(out))


def test_a_consistently_rewritten_chain_is_caught_by_the_signed_heads(haven: Haven) -> None:
    lines = _entries(haven).read_bytes().splitlines()
    record = json.loads(lines[5])
    record["details"]["i"] = 500
    lines[5] = json.dumps(record).encode()
    _rewrite_consistently(haven, lines)
    result = verify(haven)
    assert not result.ok and result.first_bad == 5
    assert "signed tree head" in result.reason


def test_a_consistently_rewritten_deletion_is_caught(haven: Haven) -> None:
    lines = _entries(haven).read_bytes().splitlines()
    del lines[8]
    _rewrite_consistently(haven, lines)
    result = verify(haven)
    assert not result.ok and result.first_bad == 8


def test_heads_every_few_entries_bound_where_the_change_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_log, "SIGN_EVERY", 4)
    haven = Haven.open(tmp_path / "sparse")
    for i in range(10):
        record_event(haven, "test.step", actor="system", details={"i": i})
    assert [json.loads(h)["tree_size"] for h in _heads(haven).read_bytes().splitlines()] == [4, 8]
    lines = _entries(haven).read_bytes().splitlines()
    record = json.loads(lines[6])
    record["details"]["i"] = 60
    lines[6] = json.dumps(record).encode()
    _rewrite_consistently(haven, lines)
    result = verify(haven)
    assert not result.ok and result.first_bad == 4  # somewhere among entries 4..7
    _rewrite_consistently(haven, lines[:6])  # entries 6.. cut: the head of size 8 objects
    assert verify(haven).first_bad == 6


def test_cutting_entries_from_the_end_is_detected_by_the_saved_tree_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_log, "SIGN_EVERY", 1000)
    monkeypatch.setattr(audit_log, "CHECKPOINT_EVERY", 5)
    haven = Haven.open(tmp_path / "unsigned")
    for i in range(5):
        record_event(haven, "test.step", actor="system", details={"i": i})
    lines = _entries(haven).read_bytes().splitlines(keepends=True)
    _entries(haven).write_bytes(b"".join(lines[:3]))
    result = verify(haven)
    assert not result.ok and result.first_bad == 3 and "tree state" in result.reason


def test_heads_signed_with_another_key_are_rejected(haven: Haven) -> None:
    signing_key_path(haven).unlink()
    export_public_key(haven, Ed25519PrivateKey.generate().public_key())
    result = verify(haven)
    assert not result.ok and result.first_bad == 0
    assert "key" in result.reason


def test_a_swapped_public_key_file_is_reported(haven: Haven) -> None:
    export_public_key(haven, Ed25519PrivateKey.generate().public_key())
    result = verify(haven)
    assert not result.ok and "public-key.pem" in result.reason


def test_signing_key_is_private_and_its_public_half_exported(haven: Haven) -> None:
    assert signing_key_path(haven).stat().st_mode & 0o077 == 0
    assert public_key_path(haven).read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert _heads(haven).stat().st_mode & 0o077 == 0


def test_on_demand_head_and_every_entry_is_signed_by_default(haven: Haven) -> None:
    sizes = [json.loads(h)["tree_size"] for h in _heads(haven).read_bytes().splitlines()]
    assert sizes == list(range(1, ENTRY_COUNT + 1))
    head = sign_tree_head(haven)
    assert head.tree_size == ENTRY_COUNT
    assert verify(haven).ok


def test_appends_after_many_entries_resume_from_the_saved_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_log, "CHECKPOINT_EVERY", 3)
    monkeypatch.setattr(audit_log, "SIGN_EVERY", 5)
    haven = Haven.open(tmp_path / "resume")
    from openhaven.ledger import tree_state

    for i in range(7):
        record_event(haven, "test.step", actor="system", details={"i": i})
        if i % 2:
            tree_state._remembered.clear()  # as if a new process appended next
    (haven.paths.ledger / tree_state.TREE_STATE_FILE).write_text("not json")
    tree_state._remembered.clear()
    record_event(haven, "test.step", actor="system", details={"i": 7})
    sign_tree_head(haven)
    result = verify(haven)
    assert result.ok and result.entries == 8


def test_an_empty_ledger_can_be_signed_and_verified(tmp_path: Path) -> None:
    haven = Haven.open(tmp_path / "empty")
    head = sign_tree_head(haven)
    assert head.tree_size == 0
    assert verify(haven).as_dict() == {"ok": True, "entries": 0, "first_bad": None,
                                       "reason": "every entry verified"}
    record_event(haven, "test.first", actor="system")
    assert verify(haven).ok


def test_a_half_written_tree_head_is_not_counted_then_cut(haven: Haven) -> None:
    with _heads(haven).open("ab") as handle:
        handle.write(b'{"key_id":"ab')
    assert verify(haven).ok
    sign_tree_head(haven)
    assert b'"ab\n' not in _heads(haven).read_bytes() and b'"ab{' not in _heads(haven).read_bytes()
    lines = _heads(haven).read_bytes().splitlines()
    assert len(lines) == ENTRY_COUNT + 1 and all(line.startswith(b'{"key_id":"') for line in lines)
    assert verify(haven).ok
