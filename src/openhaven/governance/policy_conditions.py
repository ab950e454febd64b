"""The condition types a policy rule may use, in one registry that built-ins and others share.

A rule's ``when`` is a small mapping with exactly one key, the condition type, and its
argument: ``{uses_include: [marketing]}``, ``{all: [{is_commercial: true},
{missing: public_benefit}]}``. Nothing in a policy file is ever run as code: each type is a
named Python function registered here (``register_condition``), which checks its argument
when the policy is loaded and, when evaluated, returns why it holds (a sentence) or ``None``.

The built-ins below register exactly as a third party's condition would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openhaven.core.errors import InvalidInput, Location
from openhaven.governance.access_request import DECLARED_USES, AccessRequest
from openhaven.governance.duo import match_duo, parse_codes
from openhaven.provisioning.specification import FREE_TEXT_ALLOWANCES
from openhaven.records.schema import TABLES_BY_NAME, Identifiability


@dataclass(frozen=True)
class DatasetLimits:
    """A dataset the haven holds: the tables it covers and its data-use limitations."""

    name: str
    title: str
    tables: frozenset[str]
    limitations: tuple[str, ...]


@dataclass(frozen=True)
class PersonFacts:
    """What screening may know of a team member: a reference, roles, current accreditations."""

    reference: str
    roles: frozenset[str] = frozenset()
    accreditations: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PolicyContext:
    """Everything a condition may read; decisions depend on nothing else."""

    request: AccessRequest
    datasets: tuple[DatasetLimits, ...]
    people: tuple[PersonFacts, ...]
    purpose_defaults: Mapping[str, frozenset[str]] = field(default_factory=dict)
    required_accreditations: frozenset[str] = frozenset()

    def datasets_used(self) -> list[DatasetLimits]:
        wanted = set(self.request.data.tables)
        return [d for d in self.datasets if d.tables & wanted]


Evaluate = Callable[[Any, PolicyContext], str | None]
Validate = Callable[[Any, str], None]


@dataclass(frozen=True)
class ConditionType:
    name: str
    description: str
    validate: Validate
    evaluate: Evaluate


CONDITIONS: dict[str, ConditionType] = {}


def register_condition(
    name: str, description: str, validate: Validate
) -> Callable[[Evaluate], Evaluate]:
    """Decorator registering ``evaluate`` as condition type ``name``."""

    def register(evaluate: Evaluate) -> Evaluate:
        if name in CONDITIONS:
            raise ValueError(f"condition type {name!r} is already registered")
        CONDITIONS[name] = ConditionType(name, description, validate, evaluate)
        return evaluate

    return register


def check_condition(condition: Any, where: str) -> None:
    """Refuse a malformed condition when the policy is loaded, naming where it is."""
    if not isinstance(condition, Mapping) or len(condition) != 1:
        raise InvalidInput("a condition is a mapping with exactly one condition type",
                           Location(field=where))
    (name, argument), = condition.items()
    if name not in CONDITIONS:
        known = ", ".join(sorted(CONDITIONS))
        raise InvalidInput(f"unknown condition type {name!r} (known: {known})",
                           Location(field=where))
    CONDITIONS[name].validate(argument, f"{where}.{name}")


def evaluate_condition(condition: Mapping[str, Any], context: PolicyContext) -> str | None:
    (name, argument), = condition.items()
    return CONDITIONS[name].evaluate(argument, context)


# --- argument checks -------------------------------------------------------------------

def _conditions(argument: Any, where: str) -> None:
    if not isinstance(argument, list) or not argument:
        raise InvalidInput("expects a non-empty list of conditions", Location(field=where))
    for index, item in enumerate(argument):
        check_condition(item, f"{where}[{index}]")


def _one_condition(argument: Any, where: str) -> None:
    check_condition(argument, where)


def _true(argument: Any, where: str) -> None:
    if argument is not True:
        raise InvalidInput("expects true", Location(field=where))


def _uses(argument: Any, where: str) -> None:
    if not isinstance(argument, list) or not argument or any(
        use not in DECLARED_USES for use in argument
    ):
        raise InvalidInput(f"expects a list drawn from: {', '.join(DECLARED_USES)}",
                           Location(field=where))


TEXT_FIELDS = ("public_benefit", "ethics_reference", "lay_summary")


def _text_field(argument: Any, where: str) -> None:
    if argument not in TEXT_FIELDS:
        raise InvalidInput(f"expects one of: {', '.join(TEXT_FIELDS)}", Location(field=where))


def _strings(argument: Any, where: str) -> None:
    if not isinstance(argument, list) or not all(isinstance(v, str) for v in argument):
        raise InvalidInput("expects a list of names", Location(field=where))


def _free_text_allowances(argument: Any, where: str) -> None:
    if not isinstance(argument, list) or not argument or any(
        allowance not in FREE_TEXT_ALLOWANCES for allowance in argument
    ):
        raise InvalidInput(f"expects a list drawn from: {', '.join(FREE_TEXT_ALLOWANCES)}",
                           Location(field=where))


def _decision(argument: Any, where: str) -> None:
    if argument not in ("deny", "refer"):
        raise InvalidInput("expects deny or refer", Location(field=where))


def _positive(argument: Any, where: str) -> None:
    if isinstance(argument, bool) or not isinstance(argument, int) or argument < 1:
        raise InvalidInput("expects a whole number of at least 1", Location(field=where))


# --- combinators -----------------------------------------------------------------------

@register_condition("all", "every listed condition holds", _conditions)
def _all(argument: Sequence[Mapping[str, Any]], context: PolicyContext) -> str | None:
    reasons = []
    for condition in argument:
        reason = evaluate_condition(condition, context)
        if reason is None:
            return None
        reasons.append(reason)
    return "; ".join(reasons)


@register_condition("any", "at least one listed condition holds", _conditions)
def _any(argument: Sequence[Mapping[str, Any]], context: PolicyContext) -> str | None:
    reasons = [r for c in argument if (r := evaluate_condition(c, context)) is not None]
    return "; ".join(reasons) if reasons else None


@register_condition("not", "the condition does not hold", _one_condition)
def _not(argument: Mapping[str, Any], context: PolicyContext) -> str | None:
    (name, _), = argument.items()
    return f"not ({name})" if evaluate_condition(argument, context) is None else None


# --- facts about the request -----------------------------------------------------------

@register_condition("uses_include", "the request declares one of these uses", _uses)
def _uses_include(argument: Sequence[str], context: PolicyContext) -> str | None:
    found = [use for use in argument if use in context.request.declared_uses]
    return f"declared use: {', '.join(found)}" if found else None


@register_condition("is_commercial", "the organisation or the purpose is commercial", _true)
def _is_commercial(argument: bool, context: PolicyContext) -> str | None:
    return "the request is commercial" if context.request.commercial else None


@register_condition("missing", "a text field of the request is empty", _text_field)
def _missing(argument: str, context: PolicyContext) -> str | None:
    value = getattr(context.request, argument)
    return f"{argument} is not stated" if not value else None


@register_condition("safeguards_not_accepted", "the applicant has not accepted the haven's "
                    "safeguards", _true)
def _safeguards(argument: bool, context: PolicyContext) -> str | None:
    return None if context.request.safeguards_accepted else "the safeguards are not accepted"


@register_condition("identifiability_in", "the identifiability level asked for is one of these",
                    _strings)
def _identifiability(argument: Sequence[str], context: PolicyContext) -> str | None:
    level = context.request.identifiability
    return f"identifiability asked for: {level}" if level in argument else None


@register_condition("free_text_in", "the free-text allowance asked for (data.free_text) is one "
                    "of these", _free_text_allowances)
def _free_text(argument: Sequence[str], context: PolicyContext) -> str | None:
    allowance = context.request.data.free_text
    if allowance not in argument:
        return None
    if allowance == "deidentified":
        return "de-identified free text is asked for (notes through deidentify_text)"
    return f"free text asked for: {allowance}"


@register_condition("common_law_basis_in", "the common-law basis is one of these", _strings)
def _common_law(argument: Sequence[str], context: PolicyContext) -> str | None:
    basis = context.request.legal_basis.common_law
    return f"common-law basis: {basis}" if basis in argument else None


@register_condition("article9_missing", "no UK GDPR article 9 condition is given", _true)
def _article9(argument: bool, context: PolicyContext) -> str | None:
    return None if context.request.legal_basis.article9 else "no article 9 condition is given"


@register_condition("duration_over", "the duration asked for exceeds this many days", _positive)
def _duration(argument: int, context: PolicyContext) -> str | None:
    days = context.request.duration_days
    return f"{days} days asked for, more than {argument}" if days > argument else None


# --- datasets and DUO ------------------------------------------------------------------

@register_condition("duo_match", "matching the purpose against a dataset's DUO limitations "
                    "gives this decision", _decision)
def _duo(argument: str, context: PolicyContext) -> str | None:
    purpose = context.request.duo_codes()
    reasons = []
    for dataset in context.datasets_used():
        limits = parse_codes(dataset.limitations, side=f"dataset {dataset.name}",
                             allow_flags=False)
        verdict = match_duo(purpose, limits, for_profit=context.request.commercial)
        if verdict.decision == argument:
            reasons.append(f"{dataset.name}: {'; '.join(verdict.reasons)}")
    return " | ".join(reasons) if reasons else None


@register_condition("tables_outside_datasets", "the request asks for a table no dataset covers",
                    _true)
def _outside(argument: bool, context: PolicyContext) -> str | None:
    covered = set().union(*(d.tables for d in context.datasets)) if context.datasets else set()
    missing = sorted(set(context.request.data.tables) - covered)
    return f"no dataset covers: {', '.join(missing)}" if missing else None


# --- minimum necessary -----------------------------------------------------------------

def beyond_defaults(context: PolicyContext) -> list[str]:
    """Fields (``table.column``) beyond what the purpose gets without saying why.

    Within the defaults: fields the record model marks as identifying no one, quasi-
    identifiers asked for generalised (any transformation but ``keep``), pseudonymised
    patient ids, and fields the policy lists as defaults for one of the request's primary
    purposes (or for ``all``). Everything else — quasi-identifiers at full detail, direct
    identifiers, free text — is beyond them.
    """
    primaries = context.request.duo_codes().primaries | {"all"}
    defaults: set[str] = set()
    for purpose in primaries:
        defaults |= context.purpose_defaults.get(purpose, frozenset())
    extra = []
    for table, column, operator in context.request.data.fields():
        marked = TABLES_BY_NAME[table].column(column).identifiability
        name = f"{table}.{column}"
        if name in defaults or marked == Identifiability.NONE:
            continue
        if marked == Identifiability.QUASI and operator != "keep":
            continue
        extra.append(name)
    return extra


def sensitive_fields(request: AccessRequest) -> list[str]:
    """Direct identifiers and free text kept as they are: these need explicit approval."""
    flagged = []
    for table, column, operator in request.data.fields():
        marked = TABLES_BY_NAME[table].column(column).identifiability
        if operator == "keep" and marked in (Identifiability.DIRECT, Identifiability.FREE_TEXT):
            flagged.append(f"{table}.{column}")
    return flagged


@register_condition("unjustified_fields", "fields beyond the purpose's defaults lack a "
                    "justification", _true)
def _unjustified(argument: bool, context: PolicyContext) -> str | None:
    missing = [f for f in beyond_defaults(context) if f not in context.request.data.justifications]
    return f"no justification for: {', '.join(missing)}" if missing else None


@register_condition("sensitive_fields", "direct identifiers or free text are asked for as they "
                    "are", _true)
def _sensitive(argument: bool, context: PolicyContext) -> str | None:
    flagged = sensitive_fields(context.request)
    return f"needs explicit approval: {', '.join(flagged)}" if flagged else None


# --- people ----------------------------------------------------------------------------

@register_condition("team_lacks_accreditation", "a team member lacks a current required "
                    "accreditation", _true)
def _team(argument: bool, context: PolicyContext) -> str | None:
    lacking = []
    for person in context.people:
        missing = sorted(context.required_accreditations - person.accreditations)
        if missing:
            lacking.append(f"{person.reference} ({', '.join(missing)})")
    return f"without current accreditation: {'; '.join(lacking)}" if lacking else None
