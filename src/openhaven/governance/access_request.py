"""The data access request: everything an applicant states, as one checked, immutable value.

A request is what the policy engine screens and the committee reads. It is built from a
mapping (a request file, a form, an API body) by ``AccessRequest.from_dict``, which refuses
bad input naming the field, never echoing what was typed; it round-trips through
``as_dict`` so each version can be stored as written. Its data section *is* a dataset
specification (``provisioning.specification``) — tables, the cohort's criteria and the
privacy model — so what is approved is exactly what provisioning will build.

``data.cohort`` is either a sentence describing the cohort (for the committee to read) or a
mapping of criteria (``conditions``, ``age``, ``onset``, as the specification reads them)
with an optional ``description``; ``data.privacy`` is the specification's privacy block.
``data.free_text`` is the allowance for free text: ``none`` (the default: notes are dropped)
or ``deidentified`` (notes may be provisioned through ``deidentify_text``); the committee
sees it on the request and approves it with the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openhaven.core.errors import InvalidInput, Location
from openhaven.governance.duo import DuoCodes, parse_codes, split_codes
from openhaven.provisioning.specification import (
    CohortCriteria,
    DatasetSpecification,
    PrivacyRequirement,
)

ARTICLE_6 = ("6(1)(a)", "6(1)(b)", "6(1)(c)", "6(1)(d)", "6(1)(e)", "6(1)(f)")
ARTICLE_9 = tuple(f"9(2)({letter})" for letter in "abcdefghij")
COMMON_LAW = {
    "consent": "each patient's explicit consent",
    "s251": "support under section 251 of the NHS Act 2006 (Confidentiality Advisory Group)",
    "anonymised": "the data reach the researcher de-identified, so no duty of confidence applies",
}
IDENTIFIABILITY = ("anonymised_aggregate", "pseudonymised", "identifiable")
DECLARED_USES = {
    "research": "research whose results are published for everyone",
    "service-planning": "planning or improving health and care services",
    "public-health": "protecting or monitoring the public's health",
    "methods-development": "developing research or statistical methods",
    "product-development": "developing a product or service (commercial)",
    "marketing": "marketing or advertising",
    "insurance": "setting insurance prices or making insurance decisions",
    "sale-of-data": "selling or passing on the data",
}
MAX_DURATION_DAYS = 3650
DEFAULT_DURATION_DAYS = 365


@dataclass(frozen=True)
class LegalBasis:
    article6: str
    article9: str | None
    common_law: str

    def describe(self) -> str:
        parts = [f"UK GDPR art. {self.article6}"]
        if self.article9:
            parts.append(f"art. {self.article9}")
        parts.append(f"common law: {self.common_law}")
        return "; ".join(parts)


@dataclass(frozen=True)
class DataWanted:
    """Tables and fields (as a dataset specification), why each extra field, cohort, dates.

    ``cohort`` is the applicant's description; ``criteria`` and ``privacy`` are the
    specification's own blocks, carried unchanged to provisioning.
    """

    tables: Mapping[str, Mapping[str, str]]
    justifications: Mapping[str, str] = field(default_factory=dict)
    cohort: str = ""
    date_from: date | None = None
    date_to: date | None = None
    criteria: CohortCriteria = field(default_factory=CohortCriteria)
    privacy: PrivacyRequirement | None = None
    #: free text the request asks for: "none" or "deidentified"
    free_text: str = "none"

    def fields(self) -> list[tuple[str, str, str]]:
        """Every (table, column, transformation) asked for."""
        return [(t, c, op) for t, cols in self.tables.items() for c, op in cols.items()]


@dataclass(frozen=True)
class AccessRequest:
    title: str
    lay_summary: str
    purpose: str
    purpose_codes: tuple[str, ...]
    public_benefit: str
    commercial: bool
    declared_uses: tuple[str, ...]
    legal_basis: LegalBasis
    ethics_reference: str | None
    data: DataWanted
    identifiability: str
    duration_days: int = DEFAULT_DURATION_DAYS
    safeguards_accepted: bool = False

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str | None = None) -> AccessRequest:
        """Check and build a request; each refusal names the field (and the file, if any)."""
        reader = _Reader(raw, source)
        codes = reader.codes("purpose_codes")
        request = cls(
            title=reader.text("title", max_length=300),
            lay_summary=reader.text("lay_summary"),
            purpose=reader.text("purpose"),
            purpose_codes=tuple(codes),
            public_benefit=reader.text("public_benefit", required=False),
            commercial=reader.flag("commercial", default=None),
            declared_uses=tuple(reader.choices("declared_uses", DECLARED_USES)),
            legal_basis=reader.legal_basis(),
            ethics_reference=reader.text("ethics_reference", required=False) or None,
            data=reader.data(),
            identifiability=reader.choice("identifiability", IDENTIFIABILITY),
            duration_days=reader.whole_number(
                "duration_days", DEFAULT_DURATION_DAYS, 1, MAX_DURATION_DAYS
            ),
            safeguards_accepted=reader.flag("safeguards_accepted", default=False),
        )
        request.duo_codes()  # refuses unknown codes, naming the field
        return request

    def duo_codes(self) -> DuoCodes:
        """The purpose as DUO codes; an ethics reference is the IRB commitment."""
        parsed = parse_codes(self.purpose_codes, side="purpose_codes", allow_flags=True)
        if self.ethics_reference:
            return DuoCodes(parsed.primaries, parsed.diseases,
                            parsed.modifiers | {"IRB"}, parsed.flags)
        return parsed

    def dataset_specification(self) -> DatasetSpecification:
        """What provisioning will build from this request's data section."""
        return DatasetSpecification(
            tables=self.data.tables, cohort=self.data.criteria, privacy=self.data.privacy,
            free_text=self.data.free_text,
        )

    def as_dict(self) -> dict[str, Any]:
        specification = self.dataset_specification().as_dict()
        cohort: str | dict[str, Any] = self.data.cohort
        if "cohort" in specification:
            cohort = dict(specification["cohort"])
            if self.data.cohort:
                cohort["description"] = self.data.cohort
        data: dict[str, Any] = {
            "tables": {t: dict(c) for t, c in self.data.tables.items()},
            "justifications": dict(self.data.justifications),
            "cohort": cohort,
            "date_from": _iso(self.data.date_from),
            "date_to": _iso(self.data.date_to),
        }
        if "privacy" in specification:
            data["privacy"] = specification["privacy"]
        if "free_text" in specification:
            data["free_text"] = specification["free_text"]
        return {
            "title": self.title,
            "lay_summary": self.lay_summary,
            "purpose": self.purpose,
            "purpose_codes": list(self.purpose_codes),
            "public_benefit": self.public_benefit,
            "commercial": self.commercial,
            "declared_uses": list(self.declared_uses),
            "legal_basis": {
                "article6": self.legal_basis.article6,
                "article9": self.legal_basis.article9,
                "common_law": self.legal_basis.common_law,
            },
            "ethics_reference": self.ethics_reference,
            "data": data,
            "identifiability": self.identifiability,
            "duration_days": self.duration_days,
            "safeguards_accepted": self.safeguards_accepted,
        }


class _Reader:
    """Reads one field at a time from a mapping, raising ``InvalidInput`` at that field."""

    def __init__(self, raw: Mapping[str, Any], source: str | None) -> None:
        if not isinstance(raw, Mapping):
            raise InvalidInput("A data access request must be a mapping", Location(file=source))
        self.raw = raw
        self.source = source

    def fail(self, message: str, where: str) -> InvalidInput:
        return InvalidInput(message, Location(file=self.source, field=where))

    def text(self, name: str, *, required: bool = True, max_length: int | None = None,
             within: Mapping[str, Any] | None = None, where: str | None = None) -> str:
        value = (self.raw if within is None else within).get(name)
        where = where or name
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(f"{where} is required", where)
            return ""
        if not isinstance(value, str):
            raise self.fail(f"{where} must be text", where)
        if max_length is not None and len(value.strip()) > max_length:
            raise self.fail(f"{where} must be at most {max_length} characters", where)
        return value.strip()

    def flag(self, name: str, *, default: bool | None) -> bool:
        value = self.raw.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(f"{name} must be true or false", name)
        return value

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.raw.get(name)
        if value not in allowed:
            raise self.fail(f"{name} must be one of: {', '.join(allowed)}", name)
        return str(value)

    def choices(self, name: str, allowed: Mapping[str, str]) -> list[str]:
        value = self.raw.get(name, [])
        items = split_codes(value) if isinstance(value, str | list | tuple) else None
        if items is None:
            raise self.fail(f"{name} must be a list", name)
        for item in items:
            if item not in allowed:
                raise self.fail(f"{name} must be drawn from: {', '.join(allowed)}", name)
        return list(dict.fromkeys(items))

    def codes(self, name: str) -> list[str]:
        value = self.raw.get(name)
        if not isinstance(value, str | list | tuple) or not split_codes(value):
            raise self.fail(f"{name} needs at least one DUO code", name)
        return list(dict.fromkeys(split_codes(value)))

    def whole_number(self, name: str, default: int, lowest: int, highest: int) -> int:
        value = self.raw.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
            raise self.fail(f"{name} must be a whole number from {lowest} to {highest}", name)
        return value

    def legal_basis(self) -> LegalBasis:
        raw = self.raw.get("legal_basis")
        if not isinstance(raw, Mapping):
            raise self.fail(
                "legal_basis must give article6, article9 and common_law", "legal_basis"
            )
        article6 = raw.get("article6")
        if article6 not in ARTICLE_6:
            raise self.fail(f"legal_basis.article6 must be one of: {', '.join(ARTICLE_6)}",
                            "legal_basis.article6")
        article9 = raw.get("article9")
        if article9 is not None and article9 not in ARTICLE_9:
            raise self.fail(f"legal_basis.article9 must be one of: {', '.join(ARTICLE_9)}",
                            "legal_basis.article9")
        common_law = raw.get("common_law")
        if common_law not in COMMON_LAW:
            raise self.fail(f"legal_basis.common_law must be one of: {', '.join(COMMON_LAW)}",
                            "legal_basis.common_law")
        return LegalBasis(str(article6), None if article9 is None else str(article9),
                          str(common_law))

    def data(self) -> DataWanted:
        raw = self.raw.get("data")
        if not isinstance(raw, Mapping):
            raise self.fail("data must give the tables and fields wanted", "data")
        description, criteria = self.cohort(raw)
        try:
            specification = DatasetSpecification.from_dict(
                {"tables": raw.get("tables"), "cohort": criteria, "privacy": raw.get("privacy"),
                 "free_text": raw.get("free_text")}
            )
        except InvalidInput as error:
            where = f"data.{error.location.field}" if error.location and error.location.field \
                else "data.tables"
            raise self.fail(error.message, where) from None
        for table_name, columns in specification.tables.items():
            for column_name, operator in columns.items():
                if (operator.partition(":")[0] == "deidentify_text"
                        and specification.free_text != "deidentified"):
                    # refused here, where the request is written, not at provisioning
                    raise self.fail("notes asked for through deidentify_text need "
                                    "data.free_text: deidentified (or drop them)",
                                    f"data.tables.{table_name}.{column_name}")
        justifications = raw.get("justifications") or {}
        if not isinstance(justifications, Mapping):
            raise self.fail("data.justifications must map table.field to a reason",
                            "data.justifications")
        wanted = {f"{t}.{c}" for t, cols in specification.tables.items() for c in cols}
        for key, reason in justifications.items():
            where = f"data.justifications.{key}"
            if key not in wanted:
                raise self.fail("a justification names a field the request does not ask for",
                                where)
            if not isinstance(reason, str) or not reason.strip():
                raise self.fail("a justification must be a sentence saying why", where)
        date_from, date_to = self.day(raw, "date_from"), self.day(raw, "date_to")
        if date_from is not None and date_to is not None and date_to < date_from:
            raise self.fail("data.date_to must not be before data.date_from", "data.date_to")
        return DataWanted(
            tables=specification.tables,
            justifications={str(k): str(v).strip() for k, v in justifications.items()},
            cohort=description,
            date_from=date_from,
            date_to=date_to,
            criteria=specification.cohort,
            privacy=specification.privacy,
            free_text=specification.free_text,
        )

    def cohort(self, raw: Mapping[str, Any]) -> tuple[str, Mapping[str, Any] | None]:
        """``data.cohort`` as (description, criteria for the specification, if any)."""
        value = raw.get("cohort")
        if value is None or isinstance(value, str):
            return self.text("cohort", required=False, within=raw, where="data.cohort"), None
        if not isinstance(value, Mapping):
            raise self.fail("data.cohort must be a description or a mapping of criteria",
                            "data.cohort")
        description = self.text("description", required=False, within=value,
                                where="data.cohort.description")
        return description, {k: v for k, v in value.items() if k != "description"}

    def day(self, raw: Mapping[str, Any], name: str) -> date | None:
        value = raw.get(name)
        where = f"data.{name}"
        if value is None or value == "":
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(f"{where} must be a date (YYYY-MM-DD)", where) from None


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
