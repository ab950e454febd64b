"""Choices as HL7 FHIR R4 ``Consent`` resources: one event, one resource, both ways.

An opt-out is a Consent with ``status`` active and ``provision.type`` deny; a withdrawal is
``status`` inactive (the deny no longer stands), and a ``permit`` is read as a withdrawal
too. ``scope`` is patient-privacy; ``provision.period.start`` is when it takes effect and
``dateTime`` when it was recorded; ``provision.purpose`` lists the purposes the choice
covers and ``policy`` names the haven's choice. ``performer`` is who recorded it: the
patient, or for a proxy a RelatedPerson with the proxy's role in an extension. The channel
travels in an extension. docs/choices.md shows a full example.

Reading never raises on the first problem: it returns the entry for the service plus every
problem found, each naming the field by its FHIR path, never its value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from openhaven.choices.models import ActingAs, ChoiceEvent, ChoiceValue
from openhaven.choices.policy import ChoicePolicy

SCOPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/consentscope"
CATEGORY_SYSTEM = "http://loinc.org"
CATEGORY_CODE = "59284-0"
NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
PURPOSE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
PURPOSE_CODES = {"research": "HRESCH", "planning": "HOPERAT", "commercial": "HMARKT"}
PURPOSES_BY_CODE = {code: purpose for purpose, code in PURPOSE_CODES.items()}
CHOICE_URI_PREFIX = "urn:openhaven:choice:"
EXTENSION_BASE = "https://openhaven.example/fhir/StructureDefinition/"
CHANNEL_EXTENSION = EXTENSION_BASE + "choice-channel"
ACTING_AS_EXTENSION = EXTENSION_BASE + "choice-acting-as"

#: the FHIR path of each field the service checks, so errors name what the file calls it
FIELD_NAMES = {
    "nhs_number": "patient.identifier.value",
    "choice": "policy.uri",
    "value": "status",
    "acting_as": "extension (acting-as)",
    "effective_at": "provision.period.start",
    "recorded_at": "dateTime",
    "channel": "extension (channel)",
    "recorded_by": "performer.display",
}
Problems = list[tuple[str, str]]  # (field path, what is wrong)


def to_consent(event: ChoiceEvent, policy: ChoicePolicy) -> dict[str, Any]:
    """The Consent resource for one recorded event."""
    definition = policy.get(event.choice)
    purposes = sorted(definition.covers) if definition is not None else []
    proxy = event.acting_as != ActingAs.SELF
    return {
        "resourceType": "Consent",
        "id": f"choice-event-{event.id}",
        "status": "active" if event.value == ChoiceValue.OPT_OUT else "inactive",
        "scope": {"coding": [{"system": SCOPE_SYSTEM, "code": "patient-privacy"}]},
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": CATEGORY_CODE}]}],
        "patient": {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": event.nhs_number}},
        "dateTime": event.recorded_at.isoformat(),
        "performer": [
            {"type": "RelatedPerson" if proxy else "Patient", "display": event.recorded_by}
        ],
        "policy": [{"uri": CHOICE_URI_PREFIX + event.choice}],
        "extension": [
            {"url": CHANNEL_EXTENSION, "valueCode": str(event.channel)},
            {"url": ACTING_AS_EXTENSION, "valueCode": str(event.acting_as)},
        ],
        "provision": {
            "type": "deny",
            "period": {"start": event.effective_at.isoformat()},
            "purpose": [{"system": PURPOSE_SYSTEM, "code": PURPOSE_CODES[p]} for p in purposes],
        },
    }


def from_consent(resource: Any, policy: ChoicePolicy) -> tuple[dict[str, Any], Problems]:
    """An entry for ``record_imported_choices`` and the problems found (empty when valid)."""
    problems: Problems = []
    if not isinstance(resource, Mapping):
        return {}, [("resource", "must be a JSON object")]
    if resource.get("resourceType") != "Consent":
        return {}, [("resourceType", "must be Consent")]
    status = resource.get("status")
    if status not in ("active", "inactive"):
        problems.append(("status", "must be active or inactive"))
    codes = [c.get("code") for c in _codings(resource.get("scope"))]
    if "patient-privacy" not in codes:
        problems.append(("scope", "must be patient-privacy"))
    nhs_number = _nhs_number(resource.get("patient"), problems)
    provision = resource.get("provision")
    if not isinstance(provision, Mapping):
        problems.append(("provision", "is required"))
        provision = {}
    kind = provision.get("type")
    if kind not in ("deny", "permit"):
        problems.append(("provision.type", "must be deny or permit"))
    period = provision.get("period")
    start = period.get("start") if isinstance(period, Mapping) else None
    effective = start or resource.get("dateTime")
    if not effective:
        problems.append(("provision.period.start", "is required (when the choice takes effect)"))
    choice = _choice(resource, provision, policy, problems)
    extensions = _extensions(resource)
    performer = _first(resource.get("performer"))
    acting_as = extensions.get(ACTING_AS_EXTENSION)
    if acting_as is None:
        if isinstance(performer, Mapping) and performer.get("type") == "RelatedPerson":
            problems.append(("extension", "a proxy performer needs the acting-as extension"))
        acting_as = ActingAs.SELF.value
    entry = {
        "nhs_number": nhs_number,
        "choice": choice,
        "value": (ChoiceValue.OPT_OUT if status == "active" and kind == "deny"
                  else ChoiceValue.WITHDRAW).value,
        "acting_as": acting_as,
        "effective_at": effective,
        "recorded_at": resource.get("dateTime"),
        "channel": extensions.get(CHANNEL_EXTENSION),
        "recorded_by": performer.get("display") if isinstance(performer, Mapping) else None,
    }
    return entry, problems


def _nhs_number(patient: Any, problems: Problems) -> str | None:
    identifier = patient.get("identifier") if isinstance(patient, Mapping) else None
    if isinstance(identifier, list):
        identifier = next(
            (i for i in identifier
             if isinstance(i, Mapping) and i.get("system") == NHS_NUMBER_SYSTEM), None,
        )
    if not isinstance(identifier, Mapping) or identifier.get("system") != NHS_NUMBER_SYSTEM:
        problems.append(("patient.identifier", f"must be an NHS number ({NHS_NUMBER_SYSTEM})"))
        return None
    value = identifier.get("value")
    return value if isinstance(value, str) else None


def _choice(
    resource: Mapping[str, Any], provision: Mapping[str, Any], policy: ChoicePolicy,
    problems: Problems,
) -> str | None:
    for rule in resource.get("policy") or []:
        uri = rule.get("uri") if isinstance(rule, Mapping) else None
        if isinstance(uri, str) and uri.startswith(CHOICE_URI_PREFIX):
            name = uri.removeprefix(CHOICE_URI_PREFIX)
            if policy.get(name) is None:
                problems.append(("policy.uri", "names no choice this haven offers"))
            return name
    purposes = set()
    for coding in provision.get("purpose") or []:
        if isinstance(coding, Mapping) and coding.get("code") in PURPOSES_BY_CODE:
            purposes.add(PURPOSES_BY_CODE[str(coding.get("code"))])
    if not purposes:
        return policy.default_choice
    for definition in policy.choices:
        if definition.covers == purposes:
            return definition.name
    default = policy.get(policy.default_choice)
    if default is not None and purposes <= default.covers:
        return default.name
    problems.append(("provision.purpose", "matches no choice this haven offers"))
    return None


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    if not isinstance(concept, Mapping):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, Mapping)]


def _extensions(resource: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for extension in resource.get("extension") or []:
        if isinstance(extension, Mapping) and isinstance(extension.get("url"), str):
            found[extension["url"]] = extension.get("valueCode")
    return found


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else None
