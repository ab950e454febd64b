"""Proofs from the command line, checked by the independent verifier with only the public key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openhaven.cli.main import app
from openhaven.core.haven import Haven
from openhaven.ledger import audit_log, record_event

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "tools" / "verify_ledger_proof.py"
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "haven"
    haven = Haven.open(home)
    for i in range(11):
        record_event(haven, "test.step", actor="system", subject=f"project:P{i}",
                     details={"i": i})
    return home


def _cli(home: Path, *args: str) -> dict:
    result = runner.invoke(app, ["ledger", *args, "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _independently(tmp_path: Path, home: Path, *documents: dict) -> subprocess.CompletedProcess:
    """Run the verifier as an outsider would: a copy of the key, no OpenHaven on the path."""
    key = tmp_path / "outsider-key.pem"
    key.write_text(_public_key(home))
    files = []
    for number, document in enumerate(documents):
        files.append(tmp_path / f"proof-{number}.json")
        files[-1].write_text(json.dumps(document))
    return subprocess.run(
        [sys.executable, "-I", str(VERIFIER), "--public-key", str(key), *map(str, files)],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )


def _public_key(home: Path) -> str:
    result = runner.invoke(app, ["ledger", "public-key", "--home", str(home)])
    assert result.exit_code == 0
    return result.stdout


def test_public_key_command_prints_the_exported_key(home: Path) -> None:
    pem = _public_key(home)
    assert pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert (home / "ledger" / "public-key.pem").read_text() == pem
    described = _cli(home, "public-key")
    assert described["public_key_pem"] == pem and len(described["key_id"]) == 64


def test_inclusion_and_consistency_proofs_verify_independently(home: Path,
                                                              tmp_path: Path) -> None:
    inclusion = [_cli(home, "proof", "inclusion", str(seq)) for seq in (0, 4, 10)]
    assert {proof["tree_size"] for proof in inclusion} == {11}
    older = _cli(home, "proof", "inclusion", "2", "--tree-size", "5")
    consistency = [_cli(home, "proof", "consistency", str(a), str(b))
                   for a, b in ((1, 11), (5, 8), (6, 11), (4, 4))]
    head = _cli(home, "sign")
    result = _independently(tmp_path, home, *inclusion, older, *consistency, head)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("OK ") == 9


def _tampered_variants(inclusion: dict, consistency: dict) -> list[dict]:
    def changed(document: dict, path: tuple, value: object) -> dict:
        copy = json.loads(json.dumps(document))
        target = copy
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return copy

    flipped = inclusion["audit_path"][0]
    flipped = ("0" if flipped[0] != "0" else "1") + flipped[1:]
    entry = inclusion["entry"].replace('"i":4', '"i":5')
    root = inclusion["tree_head"]["root_hash"]
    other_root = ("f" if root[0] != "f" else "e") + root[1:]
    return [
        changed(inclusion, ("audit_path", 0), flipped),
        changed(inclusion, ("entry",), entry),
        changed(inclusion, ("leaf_index",), inclusion["leaf_index"] + 1),
        changed(inclusion, ("tree_head", "root_hash"), other_root),
        changed(inclusion, ("tree_head", "tree_size"), 12),
        changed(inclusion, ("tree_size",), 10),
        changed(inclusion, ("audit_path",), inclusion["audit_path"][:-1]),
        changed(consistency, ("proof", 0), flipped),
        changed(consistency, ("first_tree_head", "timestamp"), 1),
        changed(consistency, ("proof",), consistency["proof"][1:]),
    ]


def test_tampered_proofs_fail_the_independent_verifier(home: Path, tmp_path: Path) -> None:
    inclusion = _cli(home, "proof", "inclusion", "4")
    consistency = _cli(home, "proof", "consistency", "3", "9")
    for number, document in enumerate(_tampered_variants(inclusion, consistency)):
        result = _independently(tmp_path, home, document)
        assert result.returncode != 0, (number, result.stdout)
        assert "FAILED" in result.stdout or "UNUSABLE" in result.stderr


def test_a_different_public_key_rejects_genuine_proofs(home: Path, tmp_path: Path) -> None:
    proof = _cli(home, "proof", "inclusion", "3")
    stranger = tmp_path / "stranger"
    Haven.open(stranger)
    result = _independently(tmp_path, stranger, proof)
    assert result.returncode == 1 and "different key" in result.stdout


def test_proof_requests_that_cannot_be_met_say_why(home: Path) -> None:
    missing = runner.invoke(app, ["ledger", "proof", "inclusion", "99", "--home", str(home),
                                  "--json"])
    assert missing.exit_code == 4
    assert "no entry 99" in json.loads(missing.stdout)["error"]["message"]
    backwards = runner.invoke(app, ["ledger", "proof", "consistency", "8", "3", "--home",
                                    str(home), "--json"])
    assert backwards.exit_code == 3


def test_inclusion_signs_a_head_when_none_covers_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_log, "SIGN_EVERY", 100)
    home = tmp_path / "unsigned"
    haven = Haven.open(home)
    for i in range(3):
        record_event(haven, "test.step", actor="system", details={"i": i})
    assert not (home / "ledger" / "tree-heads.jsonl").exists()
    proof = _cli(home, "proof", "inclusion", "2")
    assert proof["tree_size"] == 3
    assert _independently(tmp_path, home, proof).returncode == 0


def test_sign_and_verify_commands(home: Path) -> None:
    head = _cli(home, "sign")
    assert head["tree_size"] == 11
    assert _cli(home, "verify") == {"ok": True, "entries": 11, "first_bad": None,
                                    "reason": "every entry verified"}
    entries = home / "ledger" / "entries.jsonl"
    entries.write_bytes(entries.read_bytes().replace(b'"i":6', b'"i":9'))
    bad = runner.invoke(app, ["ledger", "verify", "--home", str(home), "--json"])
    assert bad.exit_code != 0
    assert json.loads(bad.stdout)["first_bad"] == 6
    refused = runner.invoke(app, ["ledger", "proof", "inclusion", "7", "--home", str(home),
                                  "--json"])
    assert refused.exit_code == 7


def test_the_verifier_needs_only_the_standard_library_and_cryptography() -> None:
    import ast

    tree = ast.parse(VERIFIER.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree)
                if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported - {"cryptography", "__future__"} <= set(sys.stdlib_module_names)
    assert "openhaven" not in imported


def test_every_ledger_command_is_documented() -> None:
    import typer

    from openhaven.cli.ledger_commands import ledger_app

    doc = (ROOT / "docs" / "ledger.md").read_text(encoding="utf-8")
    group = typer.main.get_group(ledger_app)
    names = []
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        names += [f"{name} {sub}" for sub in subcommands] if subcommands else [name]
    assert len(names) >= 6
    for name in names:
        if name != "show":
            assert f"openhaven ledger {name}" in doc, f"`ledger {name}` is not in docs/ledger.md"
