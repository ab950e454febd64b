"""Person names, by context and by dictionary.

Context: a title (Dr, Mr, Mrs, Ms, Miss, Master, Prof, Nurse...) or a relation or role
(wife, son, daughter, carer...) or a phrase ("seen by", "spoke to", "Dear", "Re:", "Next of
kin:") followed by capitalised words. Dictionary: a capitalised word that is a known given
name, with the capitalised words after it (a middle or family name); "SURNAME, Given" as
discharge summaries write it. A given name that is also an everyday word (Grace, Mark) counts
alone only in context, and a name followed by a street or organisation word (Victoria Road,
Beech Medical Centre) is not a person.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from openhaven.textdeid.findings import Finding
from openhaven.textdeid.name_lists import COMMON_WORD_NAMES, family_names, given_names
from openhaven.textdeid.patient import PatientIdentifiers
from openhaven.textdeid.registry import Recognizer

TITLES = ("Dr", "Doctor", "Mr", "Mrs", "Ms", "Miss", "Mx", "Master", "Prof", "Professor",
          "Sister", "Nurse", "Rev", "Sir", "Dame", "Lady", "Lord")
RELATIONS = ("wife", "husband", "partner", "son", "daughter", "mother", "father", "mum", "dad",
             "brother", "sister", "carer", "friend", "neighbour", "grandson", "granddaughter",
             "grandmother", "grandfather", "aunt", "uncle", "niece", "nephew", "fiance",
             "fiancee", "stepson", "stepdaughter", "guardian")
PHRASES = ("seen by", "seen with", "spoke to", "spoke with", "discussed with",
           "accompanied by", "reviewed by", "referred by", "dictated by", "signed", "dear",
           "re:", "patient:", "next of kin:", "nok:", "consultant:", "gp:", "name:",
           "c/o", "attn:")
NOT_PERSON_AFTER = frozenset({
    "Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Crescent", "Gardens",
    "Place", "Terrace", "Grove", "Court", "Green", "Hill", "Park", "Row", "Walk", "Square",
    "Mews", "Medical", "Surgery", "Practice", "Hospital", "Hospitals", "House", "Health",
    "Centre", "Center", "Clinic", "Ward", "Unit", "University", "NHS", "Trust", "Foundation",
    "Group", "Partnership", "Hall", "School", "College", "Street's",
})
#: capitalised words that follow a title or relation but are not names
NOT_NAMES = frozenset({
    "The", "A", "An", "And", "Or", "Of", "On", "In", "At", "To", "For", "With", "Who", "He",
    "She", "They", "His", "Her", "Their", "This", "That", "Colleague", "Sir", "Madam",
    "Patient", "Doctor", "Nurse", "GP", "Consultant", "Team", "Registrar", "Surgery", "Thank",
    "Yours", "Seen", "Plan", "Reports", "Presents", "NHS", "DOB", "Tel", "Review", "Advice",
    "Diagnosis", "Background", "Medication", "Address", "Admitted", "Discharged", "Follow",
    "Next", "Outpatient", "Emergency", "Department", "Telephone", "Spoke", "Identity",
    *TITLES,
})

_WORD = r"[A-Z][a-z]+(?:[\-'][A-Z][a-z]+)*"
_TOKEN = re.compile(rf"\b{_WORD}\b")
_TITLE = re.compile(rf"\b(?P<cue>{'|'.join(TITLES)})\.?\s+(?P<name>{_WORD}(?: {_WORD}){{0,2}})")
# the cue in any case (scoped flag), the name only capitalised
_RELATION = re.compile(
    rf"\b(?P<cue>(?i:{'|'.join(RELATIONS)}))(?:'s)?,?\s+(?P<name>{_WORD}(?: {_WORD})?)"
)
_PHRASE = re.compile(
    rf"(?P<cue>(?<![\w])(?i:{'|'.join(re.escape(p) for p in PHRASES)}))\s+"
    rf"(?P<name>{_WORD}(?: {_WORD}){{0,2}})"
)
#: two or three capitalised words just before the identifiers a letter puts after a name
_BEFORE_IDENTIFIERS = re.compile(
    rf"(?P<name>{_WORD}(?: {_WORD}){{1,2}})(?=\s*[,(]\s*(?:NHS|DOB|D\.O\.B|born|aged|\d{{1,3}},))"
)
_SURNAME_FIRST = re.compile(r"\b(?P<family>[A-Z]{2,}(?:[\-'][A-Z]{2,})?),\s+(?P<given>[A-Z][a-z]+)")


class PersonNameRecognizer(Recognizer):
    name = "person_name"
    entities = ("NAME",)

    def find(self, text: str, patient: PatientIdentifiers | None) -> Iterator[Finding]:
        given, family = given_names(), family_names()
        yield from self._titled(text)
        yield from self._related(text, given, family)
        yield from self._surname_first(text, given)
        yield from self._before_identifiers(text, given, family)
        yield from self._dictionary(text, given, family)

    def _titled(self, text: str) -> Iterator[Finding]:
        for match in _TITLE.finditer(text):
            if match["cue"] in ("Sister", "Nurse") and not text[match.start()].isupper():
                continue
            span = _name_span(text, match.start("name"), match["name"])
            if span is not None:
                yield Finding(*span, "NAME", self.name,
                              f"context: title '{match['cue']}' before capitalised words", 0.9)

    def _related(self, text: str, given: frozenset[str],
                 family: frozenset[str]) -> Iterator[Finding]:
        for pattern, kind in ((_RELATION, "relation"), (_PHRASE, "phrase")):
            for match in pattern.finditer(text):
                words = match["name"]
                span = _name_span(text, match.start("name"), words)
                if span is None:
                    continue
                tokens = text[span[0]:span[1]].split()
                known = any(t in given or t in family for t in tokens)
                if kind == "phrase" and not known and len(tokens) < 2:
                    continue  # "Dear Colleague": one unknown word after a phrase is not a name
                yield Finding(*span, "NAME", self.name,
                              f"context: {kind} '{match['cue'].lower()}' before a name"
                              + ("; known name" if known else ""),
                              0.9 if known else 0.75, validated=known)

    def _before_identifiers(self, text: str, given: frozenset[str],
                            family: frozenset[str]) -> Iterator[Finding]:
        for match in _BEFORE_IDENTIFIERS.finditer(text):
            span = _name_span(text, match.start("name"), match["name"])
            if span is None or len(text[span[0]:span[1]].split()) < 2:
                continue
            known = any(t in given or t in family for t in text[span[0]:span[1]].split())
            yield Finding(*span, "NAME", self.name,
                          "context: capitalised words before an NHS number, date of birth or age"
                          + ("; known name" if known else ""), 0.9 if known else 0.75,
                          validated=known)

    def _surname_first(self, text: str, given: frozenset[str]) -> Iterator[Finding]:
        for match in _SURNAME_FIRST.finditer(text):
            if match["given"] not in given:
                continue
            yield Finding(match.start(), match.end("given"), "NAME", self.name,
                          "pattern: SURNAME, Given name; known given name", 0.9, True)

    def _dictionary(self, text: str, given: frozenset[str],
                    family: frozenset[str]) -> Iterator[Finding]:
        tokens = list(_TOKEN.finditer(text))
        index = 0
        while index < len(tokens):
            token = tokens[index]
            word = token.group()
            if word not in given:
                index += 1
                continue
            end_index = index
            # the capitalised words straight after (middle and family names)
            while end_index + 1 < len(tokens) and end_index - index < 2:
                following = tokens[end_index + 1]
                gap = text[tokens[end_index].end():following.start()]
                if gap != " " or following.group() in NOT_NAMES:
                    break
                end_index += 1
            after = tokens[end_index].group()
            if after in NOT_PERSON_AFTER or (
                end_index + 1 < len(tokens)
                and tokens[end_index + 1].group() in NOT_PERSON_AFTER
                and text[tokens[end_index].end():tokens[end_index + 1].start()] == " "
            ):
                # "Victoria Road", "Beech Medical Centre": a place, not a person
                index = end_index + 1
                continue
            words = [t.group() for t in tokens[index:end_index + 1]]
            with_family = any(w in family for w in words[1:])
            if end_index == index and word in COMMON_WORD_NAMES:
                index += 1
                continue
            score = 0.9 if with_family else (0.8 if end_index > index else 0.65)
            reason = "dictionary: known given name" + (
                " followed by a known family name" if with_family
                else " followed by capitalised words" if end_index > index else ""
            )
            yield Finding(token.start(), tokens[end_index].end(), "NAME", self.name, reason,
                          score, validated=True)
            index = end_index + 1


def _name_span(text: str, start: int, words: str) -> tuple[int, int] | None:
    """The leading run of name-like words (stopping at one that is not a name)."""
    kept: list[str] = []
    split = words.split()
    for position, word in enumerate(split):
        if word in NOT_NAMES:
            break
        if word in NOT_PERSON_AFTER and not (
            position == len(split) - 1 and word in family_names()
        ):
            break  # "Dr Hall" is a person; "Hall Medical Centre" is not
        kept.append(word)
    if not kept:
        return None
    # recompute exactly: words are separated by whitespace in the original text
    cursor = start
    for word in kept:
        cursor = text.index(word, cursor) + len(word)
    end = cursor
    return start, end
