"""The recognizer registry: the built-ins register here exactly as a third party's would."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from openhaven.textdeid.findings import Finding
from openhaven.textdeid.patient import PatientIdentifiers


class Recognizer(ABC):
    """Finds one or more kinds of identifier in a text. ``name`` is unique."""

    name: str = ""
    #: the entities this recognizer may report
    entities: tuple[str, ...] = ()

    @abstractmethod
    def find(self, text: str, patient: PatientIdentifiers | None) -> Iterator[Finding]:
        """Every finding in ``text``; ``patient`` is the note's own patient, when known."""


_REGISTRY: dict[str, Recognizer] = {}


def register_recognizer(recognizer: Recognizer) -> None:
    if not recognizer.name:
        raise ValueError("a recognizer needs a name")
    if recognizer.name in _REGISTRY:
        raise ValueError(f"recognizer {recognizer.name!r} is already registered")
    _REGISTRY[recognizer.name] = recognizer


def unregister_recognizer(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered_recognizers() -> list[Recognizer]:
    """Every registered recognizer, built-ins first, in registration order."""
    from openhaven.textdeid import recognizers  # noqa: F401 - registers the built-ins

    return list(_REGISTRY.values())


def recognizer_names() -> list[str]:
    return [r.name for r in registered_recognizers()]
