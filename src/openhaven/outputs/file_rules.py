"""Rules for files a job wants to take out: type, size, rows, and no patient identifiers.

A job may write anything inside its sandbox; only files that pass these rules can be put in
a release request. The rules are deliberately blunt and cheap — they run before a human
checker looks, and they catch the commonest slip: a table that still carries an NHS number
or a project pseudonym (24 hex characters, as provisioning makes them).

Findings name the file, the column or line and the rule; they never repeat the value found.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from openhaven.provisioning.pseudonym import PSEUDONYM_HEX_CHARS
from openhaven.records.nhs_number import is_valid as is_valid_nhs_number

ALLOWED_SUFFIXES = (".csv", ".json", ".txt", ".png", ".svg")
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 10_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Column names that say "this is a person", compared after lower-casing and dropping
#: everything but letters and digits.
IDENTIFIER_COLUMN_NAMES = frozenset({
    "nhsnumber", "nhsno", "nhs", "patientid", "personid", "pseudonym", "pseudoid",
    "patientpseudonym", "dateofbirth", "dob", "birthdate", "postcode", "address", "name",
    "forename", "surname", "firstname", "lastname", "phone", "telephone", "email",
})
NHS_SHAPED = re.compile(r"(?<![\w])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\w])")
PSEUDONYM_SHAPED = re.compile(rf"(?<![0-9a-fA-F])[0-9a-f]{{{PSEUDONYM_HEX_CHARS}}}(?![0-9a-fA-F])")


@dataclass(frozen=True)
class FileFinding:
    rule: str
    where: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "where": self.where, "reason": self.reason}


@dataclass
class FileCheck:
    """The verdict on one file: "pass" when no rule failed, else "fail", with the reasons."""

    name: str
    size: int
    rows: int | None
    findings: list[FileFinding] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "fail" if self.findings else "pass"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.name, "size": self.size, "rows": self.rows,
                "verdict": self.verdict, "findings": [f.as_dict() for f in self.findings]}


def check_output_file(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES,
                      max_rows: int = DEFAULT_MAX_ROWS) -> FileCheck:
    """Apply every file rule to ``path`` and say which failed, where and why."""
    size = path.stat().st_size
    check = FileCheck(path.name, size, None)
    suffix = path.suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        check.findings.append(FileFinding(
            "file-type", path.name,
            f"{suffix or 'no suffix'} files cannot be released; allowed: "
            + ", ".join(ALLOWED_SUFFIXES)))
        return check
    if size > max_bytes:
        check.findings.append(FileFinding(
            "file-size", path.name, f"{size} bytes is over the limit of {max_bytes}"))
        return check
    data = path.read_bytes()
    if suffix == ".png":
        if not data.startswith(PNG_SIGNATURE):
            check.findings.append(FileFinding("file-type", path.name, "not a PNG image"))
        return check
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        check.findings.append(FileFinding("file-type", path.name, "not UTF-8 text"))
        return check
    if suffix == ".csv":
        check.rows = _check_csv(text, path.name, check.findings)
    elif suffix == ".json":
        check.rows = _check_json(text, path.name, check.findings)
    elif suffix == ".svg":
        _check_svg(text, path.name, check.findings)
    else:
        check.rows = _check_lines(text, path.name, check.findings)
    if check.rows is not None and check.rows > max_rows:
        check.findings.append(FileFinding(
            "row-limit", path.name, f"{check.rows} rows is over the limit of {max_rows}"))
    return check


def identifier_kind(value: str) -> str | None:
    """What identifier ``value`` contains ("NHS number", "pseudonym"), or None."""
    for match in NHS_SHAPED.finditer(value):
        if is_valid_nhs_number("".join(match.groups())):
            return "NHS number"
    if PSEUDONYM_SHAPED.search(value):
        return "pseudonym"
    return None


def looks_like_identifier_column(name: str) -> bool:
    squashed = re.sub(r"[^a-z0-9]", "", name.lower())
    return squashed in IDENTIFIER_COLUMN_NAMES or squashed.endswith(("nhsnumber", "pseudonym"))


def _check_csv(text: str, name: str, findings: list[FileFinding]) -> int:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        findings.append(FileFinding("file-type", name, "not a readable CSV file"))
        return 0
    if not rows:
        return 0
    header = rows[0]
    for column in header:
        if looks_like_identifier_column(column):
            findings.append(FileFinding(
                "identifier-column", f"{name}, column {column}",
                "the column name says it identifies a person"))
    flagged: set[int] = set()
    for line, row in enumerate(rows[1:], start=2):
        for index, cell in enumerate(row):
            if index in flagged:
                continue
            kind = identifier_kind(cell)
            if kind is not None:
                flagged.add(index)
                column = header[index] if index < len(header) else f"#{index + 1}"
                findings.append(FileFinding(
                    "identifier-value", f"{name}, line {line}, column {column}",
                    f"a value is shaped like a {kind}"))
    return len(rows) - 1


def _check_json(text: str, name: str, findings: list[FileFinding]) -> int:
    try:
        document = json.loads(text)
    except ValueError:
        findings.append(FileFinding("file-type", name, "not valid JSON"))
        return 0
    rows = 0
    for where, key, value in _walk(document, "$"):
        if isinstance(value, list):
            rows = max(rows, len(value))
        if key is not None and looks_like_identifier_column(key):
            findings.append(FileFinding(
                "identifier-column", f"{name}, {where}",
                "the key says it identifies a person"))
        if isinstance(value, str | int) and not isinstance(value, bool):
            kind = identifier_kind(str(value))
            if kind is not None:
                findings.append(FileFinding(
                    "identifier-value", f"{name}, {where}", f"a value is shaped like a {kind}"))
    return rows


def _walk(node: Any, where: str, key: str | None = None) -> Iterator[tuple[str, str | None, Any]]:
    yield where, key, node
    if isinstance(node, dict):
        for child_key, child in node.items():
            yield from _walk(child, f"{where}.{child_key}", str(child_key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            yield from _walk(child, f"{where}[{index}]")


def _check_svg(text: str, name: str, findings: list[FileFinding]) -> None:
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 - the haven's own job output
    except ElementTree.ParseError:
        findings.append(FileFinding("file-type", name, "not well-formed SVG (XML)"))
        return
    if not root.tag.endswith("svg"):
        findings.append(FileFinding("file-type", name, "the document is not an SVG image"))
        return
    if any(element.tag.endswith("script") for element in root.iter()):
        findings.append(FileFinding("svg-script", name, "SVG images may not carry scripts"))
    _check_lines(text, name, findings)


def _check_lines(text: str, name: str, findings: list[FileFinding]) -> int:
    lines = text.splitlines()
    for line_number, line in enumerate(lines, start=1):
        kind = identifier_kind(line)
        if kind is not None:
            findings.append(FileFinding(
                "identifier-value", f"{name}, line {line_number}",
                f"a value is shaped like a {kind}"))
    return len(lines)
