"""Rotating the ledger's signing key: earlier proofs and releases still verify, the old key
can sign nothing new, and a rotation cut short leaves the old key in force."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openhaven.cli.main import app
from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict, InvalidInput
from openhaven.core.haven import Haven
from openhaven.ledger import key_rotation, read_entries, record_event, verify
from openhaven.ledger.key_history import KeyHistory, key_id
from openhaven.ledger.key_rotation import KEY_ROTATED, rotate_signing_key
from openhaven.ledger.merkle_tree import leaf_hash, root_hash
from openhaven.ledger.proof_bundles import consistency_bundle, inclusion_bundle
from openhaven.ledger.signing_key import (
    history_path,
    key_history,
    pending_key_path,
    public_key_path,
    signing_key,
    signing_key_path,
)
from openhaven.ledger.tree_heads import append_head, read_heads, sign_head
from openhaven.outputs.airlock_manifest import (
    file_sha256,
    sign_manifest,
    verify_release_folder,
    write_manifest,
)
from openhaven.web.app import create_app

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "tools" / "verify_ledger_proof.py"
runner = CliRunner()


def _events(haven: Haven, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        record_event(haven, "test.step", actor="system", subject=f"project:P{i}",
                     details={"i": i})


def _stolen_copy(haven: Haven) -> Ed25519PrivateKey:
    """What an intruder who copied the key file before the rotation would hold."""
    key = serialization.load_pem_private_key(signing_key_path(haven).read_bytes(), None)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def _leaves(haven: Haven, size: int) -> list[bytes]:
    lines = (haven.paths.ledger / "entries.jsonl").read_bytes().split(b"\n")
    return [leaf_hash(line) for line in lines[:size]]


@pytest.fixture
def haven(tmp_path: Path) -> Haven:
    haven = Haven.open(tmp_path / "haven")
    _events(haven, 5)
    return haven


def test_rotate_append_and_verify_the_whole_ledger(haven: Haven) -> None:
    old = _stolen_copy(haven)
    old_id = key_id(old.public_key())
    rotation = rotate_signing_key(haven, actor="person:1", reason="scheduled yearly rotation")
    _events(haven, 3, start=5)

    assert verify(haven).ok and verify(haven).entries == 9
    new_id = key_id(signing_key(haven).public_key())
    assert (rotation.old_key_id, rotation.new_key_id) == (old_id, new_id) and old_id != new_id
    [entry] = read_entries(haven, action_prefix=KEY_ROTATED)
    assert entry.seq == 5 and entry.actor == "person:1"
    assert entry.details == {"old_key_id": old_id, "new_key_id": new_id,
                             "reason": "scheduled yearly rotation"}
    heads = [line.head for line in read_heads(haven)[0] if line.head is not None]
    # the hand-over: one tree of 6 entries signed by the old key, then by the new one
    assert [(h.tree_size, h.key_id) for h in heads[5:7]] == [(6, old_id), (6, new_id)]
    assert {h.key_id for h in heads[:6]} == {old_id}
    assert {h.key_id for h in heads[6:]} == {new_id}

    history = key_history(haven)
    assert [k.key_id for k in history.keys] == [old_id, new_id]
    assert history.keys[0].valid_until == history.keys[1].valid_from == heads[5].timestamp
    assert history.keys[1].valid_until is None
    assert KeyHistory.from_json(json.loads(history_path(haven).read_text())) == history
    # only public keys are published; the retired private key is gone from the haven
    old_pem = old.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    assert all(old_pem not in p.read_bytes() for p in haven.paths.keys.iterdir())
    assert not pending_key_path(haven).exists()
    assert key_id(_public_from(public_key_path(haven))) == new_id


def _public_from(path: Path) -> object:
    return serialization.load_pem_public_key(path.read_bytes())


def test_rotation_is_refused_without_a_reason_and_nothing_changes(haven: Haven) -> None:
    before = signing_key_path(haven).read_bytes()
    for reason in ("", "   \n "):
        with pytest.raises(InvalidInput, match="reason"):
            rotate_signing_key(haven, actor="custodian", reason=reason)
    result = runner.invoke(app, ["ledger", "rotate-key", "--home", str(haven.home), "--json"])
    assert result.exit_code == 3
    assert json.loads(result.stdout)["error"]["location"]["field"] == "reason"
    assert signing_key_path(haven).read_bytes() == before
    assert not history_path(haven).exists()
    assert verify(haven).entries == 5


def test_rotate_key_command_and_published_history(haven: Haven) -> None:
    result = runner.invoke(app, ["ledger", "rotate-key", "--reason", "suspected exposure",
                                 "--home", str(haven.home), "--json"])
    assert result.exit_code == 0, result.output
    rotation = json.loads(result.stdout)
    history = runner.invoke(app, ["ledger", "key-history", "--home", str(haven.home)])
    keys = json.loads(history.stdout)["keys"]
    assert [k["key_id"] for k in keys] == [rotation["old_key_id"], rotation["new_key_id"]]
    assert keys[0]["valid_until"] == rotation["retired_at"] == keys[1]["valid_from"]
    with TestClient(create_app(haven)) as client:  # anonymous: anyone may read both
        published = client.get("/api/ledger/public-key-history")
        assert published.status_code == 200 and published.json()["keys"] == keys
        pem = client.get("/api/ledger/public-key")
        assert pem.status_code == 200 and pem.text == keys[1]["public_key_pem"]


def test_a_head_forged_with_the_retired_key_is_refused(haven: Haven) -> None:
    stolen = _stolen_copy(haven)
    rotate_signing_key(haven, actor="custodian", reason="key copied off the haven")
    _events(haven, 2, start=5)
    assert verify(haven).ok
    heads_file = haven.paths.ledger / "tree-heads.jsonl"
    genuine = heads_file.read_bytes()
    size = 8
    root = root_hash(_leaves(haven, size))

    append_head(haven, sign_head(stolen, size, root))  # dated now: after its retirement
    result = verify(haven)
    assert not result.ok and "retired before the time it claims" in result.reason
    with pytest.raises(Conflict, match="retired before the time it claims"):
        inclusion_bundle(haven, 3)  # no proof is handed out against the forged head

    heads_file.write_bytes(genuine)
    retired_at = key_history(haven).keys[0].valid_until
    assert retired_at is not None
    append_head(haven, sign_head(stolen, size, root, timestamp=retired_at))  # backdated
    result = verify(haven)
    assert not result.ok and "retired key after a head signed by its successor" in result.reason


def _independently(tmp_path: Path, trust: list[str], *documents: dict
                   ) -> subprocess.CompletedProcess[str]:
    files = []
    for number, document in enumerate(documents):
        files.append(tmp_path / f"proof-{number}.json")
        files[-1].write_text(json.dumps(document))
    return subprocess.run(
        [sys.executable, "-I", str(VERIFIER), *trust, *map(str, files)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )


def test_the_independent_tool_verifies_across_the_rotation(haven: Haven,
                                                           tmp_path: Path) -> None:
    stolen = _stolen_copy(haven)
    old_pem = public_key_path(haven).read_text()
    rotate_signing_key(haven, actor="custodian", reason="scheduled")
    _events(haven, 3, start=5)
    history_file = tmp_path / "history.json"
    history_file.write_text(history_path(haven).read_text())
    before = inclusion_bundle(haven, 2, tree_size=4)       # head signed by the old key
    after = inclusion_bundle(haven, 2)                     # latest head, the new key
    across = consistency_bundle(haven, 4, 9)               # old head to new head
    handover = consistency_bundle(haven, 6, 6)
    assert before["tree_head"]["key_id"] != after["tree_head"]["key_id"]

    result = _independently(tmp_path, ["--key-history", str(history_file)],
                            before, after, across)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("OK ") == 3

    forged = sign_head(stolen, 9, root_hash(_leaves(haven, 9))).as_json()
    refused = _independently(tmp_path, ["--key-history", str(history_file)], forged)
    assert refused.returncode == 1 and "retired before the time it claims" in refused.stdout
    old_key_file = tmp_path / "old.pem"
    old_key_file.write_text(old_pem)
    only_old = _independently(tmp_path, ["--public-key", str(old_key_file)], after)
    assert only_old.returncode == 1 and "different key" in only_old.stdout
    assert handover["first_tree_head"] == handover["second_tree_head"]


def _release(haven: Haven, folder: Path, released_at: str) -> None:
    folder.mkdir()
    (folder / "table.csv").write_text("group,count\na,12\n")
    manifest = {"files": [{"name": "table.csv", "size": (folder / "table.csv").stat().st_size,
                           "sha256": file_sha256(folder / "table.csv")}],
                "released_at": released_at}
    write_manifest(folder, *sign_manifest(haven, manifest))


def test_an_old_release_manifest_still_verifies(haven: Haven, tmp_path: Path) -> None:
    stolen = _stolen_copy(haven)
    old_release = tmp_path / "release-1"
    _release(haven, old_release, utc_now().isoformat())
    rotate_signing_key(haven, actor="custodian", reason="scheduled")
    new_release = tmp_path / "release-2"
    _release(haven, new_release, utc_now().isoformat())

    history = key_history(haven)
    assert verify_release_folder(old_release, history).valid
    assert verify_release_folder(new_release, history).valid
    published = tmp_path / "history.json"
    published.write_text(history_path(haven).read_text())
    for folder in (old_release, new_release):
        result = runner.invoke(app, ["release", "verify-manifest", str(folder),
                                     "--public-key", str(published), "--json"])
        assert result.exit_code == 0, result.output

    forged = tmp_path / "release-forged"  # the retired key, dated after its retirement
    forged.mkdir()
    (forged / "table.csv").write_text("group,count\na,12\n")
    body = json.loads((new_release / "manifest.json").read_text())
    body["key_id"] = key_id(stolen.public_key())
    write_manifest(forged, body, stolen.sign(
        json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hex())
    assert verify_release_folder(forged, history).problems == [
        "the manifest is signed by a key that was not in force at its released_at time"
    ]


def test_a_crash_before_the_commit_leaves_the_old_key_in_force(
    haven: Haven, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_id = key_id(signing_key(haven).public_key())

    def crash(*_: object) -> None:
        raise OSError("simulated crash")

    with monkeypatch.context() as patch:
        patch.setattr(key_rotation, "commit_history", crash)
        with pytest.raises(OSError, match="simulated"):
            rotate_signing_key(haven, actor="custodian", reason="scheduled")
    assert verify(haven).ok and verify(haven).entries == 6
    assert key_id(signing_key(haven).public_key()) == old_id
    assert not history_path(haven).exists()
    _events(haven, 2, start=6)
    heads = [line.head for line in read_heads(haven)[0] if line.head is not None]
    assert {h.key_id for h in heads} == {old_id} and verify(haven).ok
    # the custodian runs it again; the stale pending key never comes into force
    rotation = rotate_signing_key(haven, actor="custodian", reason="scheduled, again")
    assert verify(haven).ok and rotation.old_key_id == old_id
    assert [k.key_id for k in key_history(haven).keys] == [old_id, rotation.new_key_id]
    # a pending key torn by a crash mid-write is never trusted and stops nothing
    pending_key_path(haven).write_bytes(b"-----BEGIN PRIV")
    pending_key_path(haven).chmod(0o600)
    _events(haven, 1, start=8)
    assert key_id(signing_key(haven).public_key()) == rotation.new_key_id
    assert verify(haven).ok


def test_a_crash_after_the_commit_is_finished_by_the_next_signing(
    haven: Haven, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_id = key_id(signing_key(haven).public_key())

    def crash(*_: object) -> None:
        raise OSError("simulated crash")

    with monkeypatch.context() as patch:
        patch.setattr(key_rotation, "install_pending_key", crash)
        with pytest.raises(OSError, match="simulated"):
            rotate_signing_key(haven, actor="custodian", reason="scheduled")
    result = verify(haven)
    assert result.ok and "rotation stopped after its commit" in result.reason
    new_id = key_history(haven).keys[-1].key_id
    assert new_id != old_id and pending_key_path(haven).exists()
    _events(haven, 1, start=6)
    assert not pending_key_path(haven).exists()
    assert key_id(signing_key(haven).public_key()) == new_id
    assert verify(haven).ok and verify(haven).entries == 7


def test_a_key_slipped_into_the_history_is_caught(haven: Haven) -> None:
    rotate_signing_key(haven, actor="custodian", reason="scheduled")
    document = json.loads(history_path(haven).read_text())
    stranger = Ed25519PrivateKey.generate().public_key()
    later = document["keys"][1]["valid_from"] + 10**9  # after every genuine head
    impostor = KeyHistory.from_json(document).rotated(stranger, at=later)
    history_path(haven).write_bytes(impostor.encode())
    result = verify(haven)
    assert not result.ok and "not the haven's ledger key" in result.reason


def _rotate_forever(haven: Haven, acknowledgements: int) -> None:
    """The child: appends and rotates in turn, reporting each finished rotation's new key."""
    try:
        number = 0
        while True:
            record_event(haven, "crash.append", actor="system", details={"n": number})
            rotation = rotate_signing_key(haven, actor="custodian", reason="crash test")
            os.write(acknowledgements, f"{rotation.new_key_id}\n".encode())
            number += 1
    finally:
        os._exit(3)


@pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")
def test_rotations_killed_at_random_moments_leave_a_verifiable_ledger(haven: Haven) -> None:
    rng = random.Random(20261123)
    finished: list[str] = []
    started = time.monotonic()
    rounds = 0
    while rounds < 25 and time.monotonic() - started < 8.0:
        rounds += 1
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(read_end)
            _rotate_forever(haven, write_end)
        os.close(write_end)
        time.sleep(rng.uniform(0.0, 0.1))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        with os.fdopen(read_end, "rb") as pipe:
            finished += pipe.read().decode().split()
        result = verify(haven)
        assert result.ok, (rounds, result)
        history = [key.key_id for key in key_history(haven).keys]
        assert set(finished) <= set(history), rounds  # no finished rotation is undone
        assert key_id(signing_key(haven).public_key()) == history[-1], rounds
        assert verify(haven).ok, rounds
    assert rounds >= 10 and finished, (rounds, len(finished))


def test_a_rotation_waits_for_a_document_being_dated_and_signed(haven: Haven) -> None:
    """A manifest dated and signed inside ``signing_moment`` is always within its key's
    validity: a rotation started meanwhile waits until the signing is done."""
    import threading

    from openhaven.ledger.key_history import signature_verifier
    from openhaven.ledger.signing_key import key_history

    rotated = threading.Event()

    def rotate() -> None:
        key_rotation.rotate_signing_key(haven, actor="custodian", reason="scheduled rotation")
        rotated.set()

    with key_rotation.signing_moment(haven) as (key, now):
        rotation = threading.Thread(target=rotate)
        rotation.start()
        assert not rotated.wait(timeout=0.3)  # held off by the writer lock
        message = b"a manifest dated " + now.isoformat().encode()
        signature = key.sign(message)
    rotation.join()
    assert rotated.is_set()
    history = key_history(haven)
    signed_at = int(now.timestamp() * 1000)
    assert history.refusal(key_id(key.public_key()), signed_at,
                           signature_verifier(signature, message)) is None
    assert history.current is not None and history.current.key_id != key_id(key.public_key())
