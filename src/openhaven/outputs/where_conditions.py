"""Subgroup conditions read as facts about grouping variables, for differencing.

A table built with ``where="region = 'south'"`` describes the same people as the
``region = south`` cells of an unrestricted table. To relate released tables without
record-level data, each conjunct of a condition that has one of these simple shapes becomes a
constraint on a variable:

    name = literal        name != literal (or <>)
    name IN (literal, …)  name NOT IN (literal, …)

joined by AND; a literal is a quoted string or a number. Anything else (OR, functions,
comparisons) is kept as an *opaque* condition: its normalised text. Two tables with the same
opaque condition describe the same subgroup; a table with an opaque condition is contained in
the same table without it, and nothing more is assumed. Values are compared as text, so
``age_band = 3`` and the cell key ``3`` match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)'
_LITERAL = r"(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?)"
_COMPARISON = re.compile(rf"^\s*({_IDENT})\s*(=|!=|<>)\s*({_LITERAL})\s*$", re.IGNORECASE)
_MEMBERSHIP = re.compile(
    rf"^\s*({_IDENT})\s+(NOT\s+IN|IN)\s*\(\s*({_LITERAL}(?:\s*,\s*{_LITERAL})*)\s*\)\s*$",
    re.IGNORECASE)
_ONE_LITERAL = re.compile(_LITERAL)


@dataclass(frozen=True)
class Constraint:
    """``variable`` takes one of ``values`` (``negated``: any non-missing value but those)."""

    variable: str
    values: frozenset[str]
    negated: bool = False


@dataclass(frozen=True)
class ParsedCondition:
    constraints: tuple[Constraint, ...]
    opaque: tuple[str, ...]


def parse_where(condition: str | None) -> ParsedCondition:
    """Split ``condition`` into variable constraints and opaque conjuncts."""
    if condition is None or not condition.strip():
        return ParsedCondition((), ())
    constraints: list[Constraint] = []
    opaque: list[str] = []
    for conjunct in _split_and(condition):
        parsed = _constraint(conjunct)
        if parsed is None:
            opaque.append(" ".join(conjunct.split()))
        else:
            constraints.append(parsed)
    return ParsedCondition(tuple(constraints), tuple(opaque))


def _constraint(text: str) -> Constraint | None:
    match = _COMPARISON.match(text)
    if match:
        name, operator, literal = match.groups()
        return Constraint(_identifier(name), frozenset({_literal(literal)}), operator != "=")
    match = _MEMBERSHIP.match(text)
    if match:
        name, operator, literals = match.groups()
        values = frozenset(_literal(v) for v in _ONE_LITERAL.findall(literals))
        return Constraint(_identifier(name), values, operator.upper() != "IN")
    return None


def _identifier(text: str) -> str:
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


def _literal(text: str) -> str:
    if text.startswith("'"):
        return text[1:-1].replace("''", "'")
    number = float(text)
    return str(int(number)) if number.is_integer() and "." not in text else text


def _split_and(condition: str) -> list[str]:
    """Split on top-level AND (outside quotes and brackets); one part when there is none."""
    parts: list[str] = []
    depth, start, index, quote = 0, 0, 0, ""
    while index < len(condition):
        char = condition[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and re.match(r"(?i)\sAND\s", condition[index:index + 5]):
            parts.append(condition[start:index])
            start = index + 5
            index += 4
        index += 1
    parts.append(condition[start:])
    stripped = [p.strip() for p in parts]
    if any(not p for p in stripped):
        return [condition]
    return [_unwrap(p) for p in stripped]


def _unwrap(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    quote = ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
