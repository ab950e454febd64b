"""Given and family names for the dictionary part of name recognition.

The lists are the public ONS-derived ones the synthetic population uses
(``data/given_names.txt``, ``data/family_names.txt``; a test keeps them in step with the
generator's). A haven adds its own names with ``extra_names``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

#: given names that are also everyday words: alone, they count as names only in context
COMMON_WORD_NAMES = frozenset({
    "Amber", "April", "Autumn", "Bill", "Chase", "Crystal", "Daisy", "Dawn", "Dean", "Faith",
    "Florence", "Frank", "Georgia", "Grace", "Guy", "Harley", "Hazel", "Heather", "Holly",
    "Hope", "India", "Iris", "Ivy", "Jack", "Jasmine", "Joy", "June", "Lily", "Mark", "Max",
    "May", "Norman", "Pat", "Pearl", "Poppy", "Rose", "Rosie", "Ruby", "Sage", "Scarlett",
    "Sky", "Summer", "Victoria", "Violet", "Will", "Willow", "Sally", "Glen", "Carter", "Mason",
    "Hunter", "Tyler", "Harper", "Miller", "Lynn", "Tommy", "Teddy",
})

_extra_given: set[str] = set()
_extra_family: set[str] = set()


def _read(name: str) -> frozenset[str]:
    text = resources.files("openhaven.textdeid").joinpath("data", name).read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@cache
def _given() -> frozenset[str]:
    return _read("given_names.txt")


@cache
def _family() -> frozenset[str]:
    return _read("family_names.txt")


def given_names() -> frozenset[str]:
    return _given() | _extra_given if _extra_given else _given()


def family_names() -> frozenset[str]:
    return _family() | _extra_family if _extra_family else _family()


def extra_names(*, given: list[str] | None = None, family: list[str] | None = None) -> None:
    """Add a haven's own names (e.g. local staff lists) to the dictionaries."""
    _extra_given.update(n.strip() for n in given or () if n.strip())
    _extra_family.update(n.strip() for n in family or () if n.strip())
