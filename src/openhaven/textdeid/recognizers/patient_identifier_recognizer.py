"""Record-aware recognition: the note's own patient's identifiers, in any layout.

A generic tool has to guess what a name or a number looks like; the haven knows who each
note is about. Given the patient's row, this recognizer finds their names (each part of the
given and family names, any case, with a possessive), their NHS number and telephone number
with any spacing or punctuation between the digits (and +44 for a leading 0), their date of
birth in any layout the date reader knows, their address line (whole or by its parts) and
their postcode with or without its space, in any case. Every finding is validated: it is the
patient's own identifier, not a guess.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from openhaven.textdeid.date_formats import find_dates
from openhaven.textdeid.findings import Finding
from openhaven.textdeid.patient import PatientIdentifiers
from openhaven.textdeid.registry import Recognizer

#: name parts shorter than this are not looked for alone (initials, "Li" is kept in full)
MIN_NAME_PART = 2


class PatientIdentifierRecognizer(Recognizer):
    name = "patient_record"
    entities = ("NAME", "NHS_NUMBER", "DATE_OF_BIRTH", "ADDRESS", "POSTCODE", "PHONE")

    def find(self, text: str, patient: PatientIdentifiers | None) -> Iterator[Finding]:
        if patient is None:
            return
        yield from self._names(text, patient)
        if patient.nhs_number or patient.phone:
            positions = [m.start() for m in _DIGIT.finditer(text)]
            stream = "".join(text[i] for i in positions)
            if patient.nhs_number:
                yield from self._digits(text, positions, stream, patient.nhs_number,
                                        "NHS_NUMBER", "the patient's NHS number")
            if patient.phone:
                yield from self._digits(text, positions, stream, patient.phone, "PHONE",
                                        "the patient's telephone number")
        if patient.date_of_birth is not None:
            for found in find_dates(text):
                if found.complete and found.value == patient.date_of_birth:
                    yield Finding(found.start, found.end, "DATE_OF_BIRTH", self.name,
                                  f"record: the patient's date of birth ({found.layout})",
                                  1.0, True)
        if patient.postcode:
            yield from self._postcode(text, patient.postcode)
        if patient.address_line:
            yield from self._address(text, patient.address_line)

    def _names(self, text: str, patient: PatientIdentifiers) -> Iterator[Finding]:
        lowered = text.lower()
        for value, what in ((patient.given_name, "given name"),
                            (patient.family_name, "family name")):
            whole = (value or "").strip()
            pieces = re.split(r"[\s\-]+", whole)
            if "-" in whole:
                pieces.append(whole)  # "Zanzibar-Okonkwo" as one span as well as its parts
            for piece in pieces:
                if len(piece) < MIN_NAME_PART and len(pieces) > 1:
                    continue
                for start in _word_hits(lowered, piece.lower()):
                    label = what if len(pieces) == 1 else f"part of the {what}"
                    yield Finding(start, start + len(piece), "NAME", self.name,
                                  f"record: the patient's {label}", 1.0, True)

    def _digits(self, text: str, positions: list[int], stream: str, value: str, entity: str,
                what: str) -> Iterator[Finding]:
        """``value``'s digits in the text's digit stream, with only separators between."""
        digits = re.sub(r"\D", "", value)
        if len(digits) < 6:
            return
        targets = [digits]
        if digits.startswith("0"):
            targets += ["44" + digits[1:], "440" + digits[1:]]  # +44 7700..., +44 (0)7700...
        for target in targets:
            at = stream.find(target)
            while at >= 0:
                span = positions[at:at + len(target)]
                first, last = span[0], span[-1]
                separated = all(
                    b - a <= 3 and all(c in _SEPARATORS for c in text[a + 1:b])
                    for a, b in itertools.pairwise(span)
                )
                bounded = (first == 0 or not text[first - 1].isdigit()) and (
                    last + 1 >= len(text) or not text[last + 1].isdigit())
                if separated and bounded:
                    if target.startswith("44") and first > 0 and text[first - 1] == "+":
                        first -= 1
                    yield Finding(first, last + 1, entity, self.name, f"record: {what}", 1.0,
                                  True)
                at = stream.find(target, at + 1)

    def _postcode(self, text: str, postcode: str) -> Iterator[Finding]:
        compact = re.sub(r"\s", "", postcode).upper()
        if len(compact) < 5:
            return
        outward, inward = compact[:-3], compact[-3:]
        upper = text.upper()
        at = upper.find(outward)
        while at >= 0:
            cursor = at + len(outward)
            while cursor < len(upper) and upper[cursor] in " \t":
                cursor += 1
            end = cursor + 3
            if (upper[cursor:end] == inward and (at == 0 or not upper[at - 1].isalnum())
                    and (end >= len(upper) or not upper[end].isalnum())):
                yield Finding(at, end, "POSTCODE", self.name, "record: the patient's postcode",
                              1.0, True)
            at = upper.find(outward, at + 1)

    def _address(self, text: str, address: str) -> Iterator[Finding]:
        """The address's parts ("Flat 25", "5 Wellington Road") in any case, and the street
        alone ("Wellington Road") as written."""
        lowered = text.lower()
        for part in (p.strip() for p in address.split(",")):
            street = re.sub(r"^\d+[A-Za-z]?\s+", "", part)
            for piece, any_case in ((part, True), (street, False)):
                if len(piece) < 6 or not re.search(r"[A-Za-z]{3}", piece):
                    continue
                haystack, needle = (lowered, piece.lower()) if any_case else (text, piece)
                for start in _word_hits(haystack, needle):
                    yield Finding(start, start + len(piece), "ADDRESS", self.name,
                                  "record: part of the patient's address", 1.0, True)


_SEPARATORS = frozenset(" -./()\t")
_DIGIT = re.compile(r"\d")


def _word_hits(haystack: str, needle: str) -> Iterator[int]:
    """Where ``needle`` occurs in ``haystack`` as whole words."""
    if not needle:
        return
    at = haystack.find(needle)
    while at >= 0:
        end = at + len(needle)
        if (at == 0 or not haystack[at - 1].isalnum()) and (
                end >= len(haystack) or not haystack[end].isalnum()):
            yield at
        at = haystack.find(needle, at + 1)
