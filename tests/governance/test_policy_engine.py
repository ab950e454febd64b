"""The policy engine: each red line, minimum necessary, legal basis, the file, the registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openhaven.core.errors import InvalidInput
from openhaven.governance.access_request import DECLARED_USES, AccessRequest
from openhaven.governance.policy import (
    POLICY_FILE_NAME,
    default_policy_text,
    load_policy,
    parse_policy,
    screen,
)
from openhaven.governance.policy_conditions import (
    CONDITIONS,
    PersonFacts,
    PolicyContext,
    register_condition,
)

POLICY = load_policy()
BASE: dict[str, Any] = {
    "title": "Heart failure after diabetes",
    "lay_summary": "How often heart failure follows type 2 diabetes.",
    "purpose": "Health research",
    "purpose_codes": "HMB",
    "public_benefit": "Earlier treatment for people with diabetes.",
    "commercial": False,
    "declared_uses": ["research"],
    "legal_basis": {"article6": "6(1)(e)", "article9": "9(2)(j)", "common_law": "anonymised"},
    "data": {"tables": {
        "patients": {"patient_id": "pseudonymise", "date_of_birth": "year", "sex": "keep"},
        "conditions": {"patient_id": "pseudonymise", "code": "keep", "onset_date": "month"},
    }},
    "identifiability": "pseudonymised",
    "safeguards_accepted": True,
}
NOTES = {"patient_id": "pseudonymise", "text": "keep"}
NOTES_DEIDENTIFIED = {"patient_id": "pseudonymise", "text": "deidentify_text"}
NAMES = {"patient_id": "pseudonymise", "given_name": "keep", "family_name": "keep"}


def request(**changes: Any) -> AccessRequest:
    raw = {**BASE, **changes}
    return AccessRequest.from_dict(raw)


def with_tables(**tables: dict[str, str]) -> dict[str, Any]:
    return {"tables": {**BASE["data"]["tables"], **tables}}


def with_free_text(**changes: Any) -> dict[str, Any]:
    """The base request asking for de-identified notes, justified, with ethics approval."""
    return {"data": {**with_tables(notes=NOTES_DEIDENTIFIED), "free_text": "deidentified",
                     "justifications": {"notes.text": "Symptoms are recorded only in notes."}},
            "ethics_reference": "23/NE/0001", **changes}


FREE_TEXT_REFERRED = {"free-text-to-committee", "free-text-on-register"}


# changes to the base request, expected outcome, the rules that must fire
CASES: list[tuple[str, dict[str, Any], str, set[str]]] = [
    ("the base request", {}, "allow", set()),
    ("marketing", {"declared_uses": ["research", "marketing"]}, "deny", {"no-marketing"}),
    ("insurance", {"declared_uses": ["insurance"]}, "deny", {"no-insurance"}),
    ("sale of data", {"declared_uses": ["sale-of-data"]}, "deny", {"no-sale-of-data"}),
    ("no public benefit", {"public_benefit": ""}, "deny", {"no-solely-private-benefit"}),
    ("commercial, no public benefit", {"commercial": True, "public_benefit": ""}, "deny",
     {"commercial-public-benefit", "no-solely-private-benefit", "commercial-on-register"}),
    ("commercial, safeguards refused", {"commercial": True, "safeguards_accepted": False},
     "deny", {"commercial-safeguards", "commercial-on-register"}),
    ("commercial and in order", {"commercial": True}, "allow", {"commercial-on-register"}),
    ("ancestry research on health data", {"purpose_codes": "POA"}, "deny", {"duo-limitations"}),
    ("disease-specific research", {"purpose_codes": "DS:E10-E14"}, "allow", set()),
    ("children", {"purpose_codes": "HMB,paediatric"}, "refer", {"duo-sensitive-purpose"}),
    ("notes without ethics approval",
     {"data": with_tables(notes=NOTES), "identifiability": "identifiable",
      "legal_basis": {"article6": "6(1)(e)", "article9": "9(2)(j)", "common_law": "s251"}},
     "deny", {"duo-limitations", "minimum-necessary", "identifiable-needs-ethics",
              "identifiers-need-explicit-approval", "identifiable-to-committee"}),
    ("postcode in full without a reason",
     {"data": with_tables(patients={"patient_id": "pseudonymise", "postcode": "keep"})},
     "deny", {"minimum-necessary"}),
    ("postcode in full with a reason",
     {"data": {**with_tables(patients={"patient_id": "pseudonymise", "postcode": "keep"}),
               "justifications": {"patients.postcode": "Linking to air quality by postcode."}}},
     "allow", set()),
    ("postcode generalised", {"data": with_tables(
        patients={"patient_id": "pseudonymise", "postcode": "postcode_district"})},
     "allow", set()),
    ("names kept, pseudonymised level",
     {"data": {**with_tables(patients=NAMES), "justifications": {
         "patients.given_name": "Tracing.", "patients.family_name": "Tracing."}}},
     "deny", {"identifiers-need-identifiable-level", "identifiers-need-explicit-approval"}),
    ("names kept with consent, ethics and reasons",
     {"data": {**with_tables(patients=NAMES), "justifications": {
         "patients.given_name": "Recall.", "patients.family_name": "Recall."}},
      "identifiability": "identifiable", "ethics_reference": "23/NE/0001",
      "legal_basis": {"article6": "6(1)(e)", "article9": "9(2)(j)", "common_law": "consent"}},
     "refer", {"identifiers-need-explicit-approval", "identifiable-to-committee"}),
    ("identifiable on the anonymised basis",
     {"identifiability": "identifiable", "ethics_reference": "23/NE/0001"}, "deny",
     {"identifiable-needs-consent-or-s251", "identifiable-to-committee"}),
    ("record-level without article 9",
     {"legal_basis": {"article6": "6(1)(e)", "common_law": "anonymised"}}, "deny",
     {"health-data-needs-article-9"}),
    ("aggregate without article 9",
     {"legal_basis": {"article6": "6(1)(e)", "common_law": "anonymised"},
      "identifiability": "anonymised_aggregate"}, "allow", set()),
    ("four years", {"duration_days": 1460}, "refer", {"long-duration"}),
    ("de-identified free text, in order", with_free_text(), "refer", FREE_TEXT_REFERRED),
    ("free text without ethics approval", with_free_text(ethics_reference=None), "deny",
     {"free-text-needs-ethics", "duo-limitations", *FREE_TEXT_REFERRED}),
    ("free text in anonymised aggregates",
     with_free_text(identifiability="anonymised_aggregate"), "deny",
     {"free-text-not-in-aggregates", *FREE_TEXT_REFERRED}),
    ("free text with identifiable data",
     with_free_text(identifiability="identifiable", legal_basis={
         "article6": "6(1)(e)", "article9": "9(2)(j)", "common_law": "s251"}),
     "refer", {"free-text-with-identifiable", "identifiable-to-committee",
               *FREE_TEXT_REFERRED}),
    ("free text for a commercial purpose", with_free_text(commercial=True), "refer",
     {"free-text-commercial", "commercial-on-register", *FREE_TEXT_REFERRED}),
]


@pytest.mark.parametrize(("case", "changes", "outcome", "rules"), CASES,
                         ids=[case[0] for case in CASES])
def test_each_rule_of_the_default_policy(
    case: str, changes: dict[str, Any], outcome: str, rules: set[str]
) -> None:
    verdict = screen(request(**changes), POLICY)
    assert verdict.outcome == outcome, verdict.as_dict()
    assert {rule.id for rule in verdict.fired} == rules
    for rule in verdict.fired:
        assert rule.text and rule.why, "every fired rule says what it is and why it fired"


def test_every_rule_of_the_default_policy_is_exercised_above() -> None:
    exercised = set().union(*(rules for *_, rules in CASES)) | {"team-accredited",
                                                                "datasets-cover-request"}
    assert {rule.id for rule in POLICY.rules} == exercised


def test_an_unaccredited_team_is_referred_and_named_by_reference_only() -> None:
    people = [PersonFacts("person:1", frozenset({"researcher"}),
                          frozenset({"accredited_researcher", "ig_training"})),
              PersonFacts("person:2", frozenset({"researcher"}), frozenset({"ig_training"}))]
    verdict = screen(request(), POLICY, people=people)
    assert verdict.outcome == "refer"
    [rule] = verdict.fired
    assert rule.id == "team-accredited" and rule.why.endswith("person:2 (accredited_researcher)")


def test_a_table_outside_every_dataset_is_denied() -> None:
    only_notes = tuple(d for d in POLICY.datasets if d.name == "clinical-notes")
    verdict = screen(request(), POLICY, datasets=only_notes)
    assert "datasets-cover-request" in {rule.id for rule in verdict.fired}
    assert verdict.outcome == "deny"


RED_LINES = ("marketing", "insurance", "sale-of-data")


@settings(max_examples=60, deadline=None)
@given(
    uses=st.lists(st.sampled_from(sorted(DECLARED_USES)), max_size=4),
    commercial=st.booleans(),
    safeguards=st.booleans(),
    benefit=st.sampled_from(["", "Better care."]),
    codes=st.sampled_from(["HMB", "GRU", "DS:I10-I15", "HMB,vulnerable", "POA"]),
    identifiability=st.sampled_from(["anonymised_aggregate", "pseudonymised"]),
)
def test_red_lines_hold_whatever_else_the_request_says(
    uses: list[str], commercial: bool, safeguards: bool, benefit: str, codes: str,
    identifiability: str,
) -> None:
    asked = request(declared_uses=uses, commercial=commercial, safeguards_accepted=safeguards,
                    public_benefit=benefit, purpose_codes=codes,
                    identifiability=identifiability)
    verdict = screen(asked, POLICY)
    assert verdict == screen(asked, POLICY), "screening is a pure function"
    crossed = set(RED_LINES) & set(uses)
    if crossed or not benefit or (commercial and not safeguards):
        assert verdict.outcome == "deny"
    if commercial:
        assert "commercial-on-register" in verdict.flags
    fired = {rule.id for rule in verdict.fired}
    assert {f"no-{use}" for use in crossed} <= fired


def test_policy_file_mistakes_are_refused_naming_where(tmp_path: Path) -> None:
    text = default_policy_text()
    with pytest.raises(InvalidInput, match="unknown condition type 'python'") as caught:
        parse_policy(text.replace("{uses_include: [marketing]}", "{python: 'os.system(1)'}"),
                     source="p.yaml")
    assert caught.value.location is not None
    assert caught.value.location.file == "p.yaml"
    assert caught.value.location.field == "rules[0].when"
    with pytest.raises(InvalidInput, match="quorum"):
        parse_policy(text.replace("quorum: 2", "quorum: 0"), source="p.yaml")
    with pytest.raises(InvalidInput, match="unique"):
        parse_policy(text.replace("id: no-insurance", "id: no-marketing"), source="p.yaml")
    with pytest.raises(InvalidInput, match="not valid YAML") as caught:
        parse_policy("rules: [", source="p.yaml")
    with pytest.raises(InvalidInput, match="not a DUO code"):
        parse_policy(text.replace("limitations: [HMB]", "limitations: [HMBX]"), source="p.yaml")
    (tmp_path / POLICY_FILE_NAME).write_text(text.replace("quorum: 2", "quorum: 3"), "utf-8")
    assert load_policy(tmp_path).quorum == 3
    assert load_policy(tmp_path / "elsewhere").quorum == 2


def test_condition_types_live_in_one_registry_open_to_others() -> None:
    assert {"all", "any", "not", "uses_include", "duo_match", "unjustified_fields"} <= set(
        CONDITIONS)

    def _validate(argument: object, where: str) -> None:
        if not isinstance(argument, int):
            raise InvalidInput("expects a number")

    @register_condition("team_larger_than", "the team has more people than this", _validate)
    def _team_larger(argument: int, context: PolicyContext) -> str | None:
        return "a large team" if len(context.people) > argument else None

    try:
        text = default_policy_text() + (
            "\n  - id: big-team\n    text: Large teams go to the committee.\n"
            "    outcome: refer\n    when: {team_larger_than: 1}\n"
        )
        policy = parse_policy(text, source="p.yaml")
        people = [PersonFacts(f"person:{n}", frozenset(),
                              frozenset({"accredited_researcher", "ig_training"}))
                  for n in range(3)]
        assert screen(request(), policy, people=people).outcome == "refer"
        assert screen(request(), policy, people=people[:1]).outcome == "allow"
        with pytest.raises(ValueError, match="already registered"):
            register_condition("team_larger_than", "again", _validate)(_team_larger)
    finally:
        del CONDITIONS["team_larger_than"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"declared_uses": ["espionage"]}, "declared_uses"),
        ({"legal_basis": {"article6": "6(1)(e)", "common_law": "hope"}},
         "legal_basis.common_law"),
        ({"legal_basis": {"article6": "6(1)(e)", "article9": "9(9)",
                          "common_law": "consent"}}, "legal_basis.article9"),
        ({"data": {"tables": {"patients": {"patient_id": "keep"}}}},
         "data.tables.patients.patient_id"),
        ({"data": {**BASE["data"], "justifications": {"notes.text": "x"}}},
         "data.justifications.notes.text"),
        ({"data": {**BASE["data"], "date_from": "2024-01-01", "date_to": "2023-01-01"}},
         "data.date_to"),
        ({"duration_days": 0}, "duration_days"),
        ({"purpose_codes": "HMB,XYZ"}, "purpose_codes"),
        ({"commercial": "yes"}, "commercial"),
    ],
)
def test_a_malformed_request_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        request(**changes)
    assert caught.value.location is not None and caught.value.location.field == field


def test_a_request_round_trips_and_produces_a_dataset_specification() -> None:
    asked = request(ethics_reference="23/NE/0001")
    assert AccessRequest.from_dict(asked.as_dict()) == asked
    assert asked.dataset_specification().as_dict() == {"tables": BASE["data"]["tables"]}
    assert "IRB" in asked.duo_codes().modifiers
