"""Matching a request's purpose against a dataset's data-use limitations (GA4GH DUO terms).

Both sides are written in one vocabulary (docs/governance.md lists it in plain English):

* a primary term — ``GRU`` general research use, ``HMB`` health/medical/biomedical research,
  ``POA`` population origins or ancestry research, ``MDS`` methods development, or
  ``DS:<ICD-10 code or range>`` disease-specific research;
* modifiers — ``NPU`` not-for-profit use only, ``NCU`` non-commercial use only, ``IRB``
  ethics approval required, ``COL`` collaboration with the data's collectors required,
  ``PUB`` publication required. On a dataset a modifier is a requirement; on a request it is
  a commitment the applicant makes;
* a side that names no primary term is read as GRU (for a dataset: no limitation on the kind
  of research; for a purpose: the broadest claim, so the strictest match);
* purpose flags, on requests only, that send a request to people rather than to an automatic
  answer: ``controls``, ``population``, ``gender``, ``paediatric``, ``vulnerable``,
  ``illegal-behaviour``, ``sexual-disease``, ``psychological-traits``, ``not-health``,
  ``stigmatising``.

``match_duo`` is a pure function: the same codes always give the same decision, ``deny``
winning over ``refer`` winning over ``approve``, with every reason that contributed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from openhaven.core.errors import InvalidInput, Location
from openhaven.governance import icd10
from openhaven.governance.icd10 import DiseaseTerm

PRIMARY_TERMS = {
    "GRU": "general research use",
    "HMB": "health, medical or biomedical research",
    "POA": "population origins or ancestry research",
    "MDS": "methods development (software, algorithms, statistical methods)",
    "DS": "disease-specific research, for the ICD-10 code or range named",
}
MODIFIERS = {
    "NPU": "not-for-profit use only",
    "NCU": "non-commercial use only",
    "IRB": "ethics (research ethics committee) approval required",
    "COL": "collaboration with the study that collected the data required",
    "PUB": "results must be published or otherwise made public",
}
#: Modifiers a dataset can require and a request can commit to.
COMMITMENTS = ("IRB", "COL", "PUB")
PURPOSE_FLAGS = {
    "controls": "the data would serve as controls for another study",
    "population": "population-level research rather than health research",
    "gender": "research on gender or sex differences",
    "paediatric": "research on children",
    "vulnerable": "research on vulnerable groups",
    "illegal-behaviour": "research on illegal behaviour",
    "sexual-disease": "research on sexually transmitted disease",
    "psychological-traits": "research on psychological traits",
    "not-health": "research that is not about health",
    "stigmatising": "research on a stigmatising condition",
}
#: DUO's own identifiers, accepted as synonyms of the abbreviations.
DUO_IDS = {
    "DUO:0000042": "GRU",
    "DUO:0000006": "HMB",
    "DUO:0000011": "POA",
    "DUO:0000007": "DS",
    "DUO:0000045": "NPU",
    "DUO:0000046": "NCU",
    "DUO:0000021": "IRB",
    "DUO:0000020": "COL",
    "DUO:0000019": "PUB",
}
#: Decisions in order of precedence: the first that any reason asks for wins.
DECISIONS = ("deny", "refer", "approve")


@dataclass(frozen=True)
class DuoCodes:
    """One side's parsed codes: primary terms, disease terms, modifiers, flags."""

    primaries: frozenset[str]
    diseases: tuple[DiseaseTerm, ...] = ()
    modifiers: frozenset[str] = frozenset()
    flags: tuple[str, ...] = ()
    #: True when no primary term was given and GRU was assumed (said in the reasons).
    implied_primary: bool = False

    def as_codes(self) -> list[str]:
        codes = sorted(self.primaries - {"DS"})
        codes += [f"DS:{term.code}" for term in self.diseases]
        return codes + sorted(self.modifiers) + list(self.flags)


@dataclass(frozen=True)
class DuoVerdict:
    decision: str
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"decision": self.decision, "reasons": list(self.reasons)}


def split_codes(value: str | Iterable[str]) -> list[str]:
    """Comma- or space-separated codes (or a list of them), trimmed, empties dropped."""
    tokens = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    return [str(token).strip() for token in tokens if str(token).strip()]


def parse_codes(value: str | Iterable[str], *, side: str, allow_flags: bool) -> DuoCodes:
    """Parse one side's codes, refusing unknown ones by naming them and the side."""
    primaries: set[str] = set()
    diseases: list[DiseaseTerm] = []
    modifiers: set[str] = set()
    flags: list[str] = []
    for token in split_codes(value):
        upper = DUO_IDS.get(token.upper(), token.upper())
        if upper.startswith("DS:") or upper.startswith("DS-"):
            diseases.append(icd10.parse_term(upper[3:], field=side))
            primaries.add("DS")
        elif upper == "DS":
            raise InvalidInput(
                "DS needs a disease: write DS:<ICD-10 code or range>, e.g. DS:C34",
                Location(field=side),
            )
        elif upper in PRIMARY_TERMS:
            primaries.add(upper)
        elif upper in MODIFIERS:
            modifiers.add(upper)
        elif token.lower() in PURPOSE_FLAGS:
            if not allow_flags:
                raise InvalidInput(
                    f"{token.lower()!r} is a purpose flag; datasets do not carry flags",
                    Location(field=side),
                )
            if token.lower() not in flags:
                flags.append(token.lower())
        else:
            raise InvalidInput(
                f"{token!r} is not a DUO code this haven knows (see docs/governance.md)",
                Location(field=side),
            )
    if not primaries and not modifiers and not flags:
        raise InvalidInput(
            f"{side} needs at least one code: GRU, HMB, POA, MDS or DS:<ICD-10 code>",
            Location(field=side),
        )
    implied = not primaries
    return DuoCodes(frozenset(primaries or {"GRU"}), tuple(diseases), frozenset(modifiers),
                    tuple(flags), implied_primary=implied)


def match_duo(
    purpose: str | Sequence[str] | DuoCodes,
    dataset: str | Sequence[str] | DuoCodes,
    *,
    for_profit: bool = False,
) -> DuoVerdict:
    """Whether a purpose may use a dataset: approve, deny or refer, with every reason."""
    wanted = (
        purpose
        if isinstance(purpose, DuoCodes)
        else parse_codes(purpose, side="purpose", allow_flags=True)
    )
    limits = (
        dataset
        if isinstance(dataset, DuoCodes)
        else parse_codes(dataset, side="dataset", allow_flags=False)
    )
    findings: list[tuple[str, str]] = []
    for side, codes in (("purpose", wanted), ("dataset", limits)):
        if codes.implied_primary:
            findings.append(("approve", f"the {side} names no primary term, so it is read as GRU"))
    findings += _primary_findings(wanted, limits)
    findings += _modifier_findings(wanted, limits, for_profit)
    for flag in wanted.flags:
        findings.append(
            ("refer", f"purpose flag {flag} ({PURPOSE_FLAGS[flag]}) needs the committee's review")
        )
    decision = next(d for d in DECISIONS if d == "approve" or any(k == d for k, _ in findings))
    return DuoVerdict(decision, [reason for _, reason in findings])


def _primary_findings(wanted: DuoCodes, limits: DuoCodes) -> list[tuple[str, str]]:
    """Each requested primary term must be allowed by at least one of the dataset's."""
    findings: list[tuple[str, str]] = []
    for primary in sorted(wanted.primaries - {"DS"}):
        allowed_by = _allowed_by(primary, limits)
        if allowed_by:
            findings.append(("approve", f"{primary} is within the dataset's {allowed_by}"))
        else:
            findings.append(("deny", _refusal(primary, limits)))
    for term in wanted.diseases:
        findings.append(_disease_finding(term, limits))
    return findings


def _allowed_by(primary: str, limits: DuoCodes) -> str | None:
    if "GRU" in limits.primaries:
        return "GRU (general research use)"
    if primary == "HMB" and "HMB" in limits.primaries:
        return "HMB (health/medical/biomedical research)"
    if primary == "POA" and "POA" in limits.primaries:
        return "POA (population origins or ancestry research)"
    if primary == "MDS" and ("MDS" in limits.primaries or "HMB" in limits.primaries):
        return "HMB" if "MDS" not in limits.primaries else "MDS (methods development)"
    return None


def _refusal(primary: str, limits: DuoCodes) -> str:
    allowed = ", ".join(limits.as_codes())
    if primary == "HMB" and limits.primaries == {"POA"}:
        return "HMB research cannot use data limited to POA (population origins or ancestry)"
    if primary == "GRU":
        return f"GRU is broader than the dataset's limitations ({allowed})"
    if limits.primaries == {"DS"}:
        return (
            f"{primary} is broader than the dataset's disease-specific limitation "
            f"({allowed}); ask for DS with a disease inside it"
        )
    return f"{primary} is not allowed by the dataset's limitations ({allowed})"


def _disease_finding(term: DiseaseTerm, limits: DuoCodes) -> tuple[str, str]:
    """A disease term is allowed by GRU, HMB, or a dataset disease term that contains it."""
    where = icd10.describe(term)
    if "GRU" in limits.primaries:
        return "approve", f"DS:{where} is within the dataset's GRU (general research use)"
    if "HMB" in limits.primaries:
        return "approve", f"DS:{where} is health research, within the dataset's HMB"
    for allowed in limits.diseases:
        if term.within(allowed):
            return "approve", f"DS:{where} is within the dataset's DS:{allowed.code}"
    if limits.diseases:
        names = ", ".join(f"DS:{allowed.code}" for allowed in limits.diseases)
        if any(term.overlaps(allowed) for allowed in limits.diseases):
            return "deny", (
                f"DS:{where} is broader than the dataset's {names}; "
                "only diseases within it may be studied"
            )
        return "deny", f"DS:{where} is outside the dataset's {names}"
    return "deny", f"DS:{term.code} is not allowed by the dataset's limitations " + (
        f"({', '.join(limits.as_codes())})"
    )


def _modifier_findings(
    wanted: DuoCodes, limits: DuoCodes, for_profit: bool
) -> list[tuple[str, str]]:
    findings: list[tuple[str, str]] = []
    for modifier in ("NPU", "NCU"):
        if modifier in limits.modifiers and for_profit:
            findings.append(
                ("deny", f"a for-profit purpose cannot use data limited to {modifier} "
                         f"({MODIFIERS[modifier]})")
            )
    for modifier in COMMITMENTS:
        if modifier in limits.modifiers:
            if modifier in wanted.modifiers:
                findings.append(
                    ("approve", f"the dataset requires {modifier} and the request commits to it")
                )
            else:
                findings.append(
                    ("deny", f"the dataset requires {modifier} ({MODIFIERS[modifier]}) and the "
                             "request does not commit to it")
                )
    return findings
