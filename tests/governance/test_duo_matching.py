"""DUO matching: each rule, the worked cases, the ICD-10 hierarchy, and generated cases."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from openhaven.cli.main import app
from openhaven.core.errors import InvalidInput
from openhaven.governance import icd10
from openhaven.governance.duo import PURPOSE_FLAGS, match_duo, parse_codes

# purpose, dataset, for_profit, decision, a phrase one of the reasons must contain
CASES = [
    # the worked cases
    ("DS:C34", "GRU", False, "approve", "within the dataset's GRU"),
    ("DS:C00-C97", "DS:C34", False, "deny", "broader than the dataset's DS:C34"),
    ("HMB", "POA", False, "deny", "cannot use data limited to POA"),
    ("HMB", "GRU,NPU", True, "deny", "for-profit purpose cannot use data limited to NPU"),
    ("HMB,paediatric", "GRU", False, "refer", "paediatric"),
    # primary terms
    ("GRU", "GRU", False, "approve", "GRU"),
    ("GRU", "HMB", False, "deny", "GRU is broader"),
    ("HMB", "HMB", False, "approve", "within the dataset's HMB"),
    ("POA", "POA", False, "approve", "within the dataset's POA"),
    ("POA", "HMB", False, "deny", "not allowed"),
    ("POA", "GRU", False, "approve", "GRU"),
    ("MDS", "HMB", False, "approve", "HMB"),
    ("MDS", "DS:E10-E14", False, "deny", "broader than the dataset's disease-specific"),
    ("HMB", "DS:C34", False, "deny", "broader than the dataset's disease-specific"),
    # disease terms through the hierarchy: category, subcategory, block, chapter, range
    ("DS:C34", "DS:C30-C39", False, "approve", "within the dataset's DS:C30-C39"),
    ("DS:C34.1", "DS:C34", False, "approve", "within the dataset's DS:C34"),
    ("DS:C341", "DS:II", False, "approve", "within the dataset's DS:C00-D48"),
    ("DS:E11", "HMB", False, "approve", "health research, within the dataset's HMB"),
    ("DS:C34", "DS:C00-C97", False, "approve", "within the dataset's DS:C00-C97"),
    ("DS:J45", "DS:C34", False, "deny", "outside the dataset's DS:C34"),
    ("DS:C30-C39", "DS:C34", False, "deny", "broader"),
    ("DS:C34", "POA", False, "deny", "not allowed"),
    ("DS:C34", "DS:J45,DS:C00-C97", False, "approve", "DS:C00-C97"),
    # modifiers
    ("HMB", "HMB,NPU", False, "approve", "HMB"),
    ("HMB", "HMB,NCU", True, "deny", "limited to NCU"),
    ("HMB", "HMB,IRB", False, "deny", "requires IRB"),
    ("HMB,IRB", "HMB,IRB", False, "approve", "commits to it"),
    ("HMB", "HMB,COL", False, "deny", "requires COL"),
    ("HMB,PUB", "HMB,PUB", False, "approve", "commits to it"),
    ("HMB", "NPU", True, "deny", "limited to NPU"),
    ("HMB", "NPU", False, "approve", "read as GRU"),
    # deny wins over refer
    ("HMB,vulnerable", "POA", False, "deny", "vulnerable"),
    # DUO identifiers as synonyms
    ("DUO:0000006", "DUO:0000042", False, "approve", "GRU"),
]


@pytest.mark.parametrize(("purpose", "dataset", "for_profit", "decision", "phrase"), CASES)
def test_each_duo_rule(
    purpose: str, dataset: str, for_profit: bool, decision: str, phrase: str
) -> None:
    verdict = match_duo(purpose, dataset, for_profit=for_profit)
    assert verdict.decision == decision, verdict.reasons
    assert any(phrase in reason for reason in verdict.reasons), verdict.reasons


@pytest.mark.parametrize("flag", sorted(PURPOSE_FLAGS))
def test_every_purpose_flag_refers_to_people(flag: str) -> None:
    verdict = match_duo(f"HMB,{flag}", "GRU")
    assert verdict.decision == "refer"
    assert any(flag in reason for reason in verdict.reasons)


@pytest.mark.parametrize(
    ("purpose", "dataset", "field", "phrase"),
    [
        ("HMB", "GRU,paediatric", "dataset", "datasets do not carry flags"),
        ("WHATEVER", "GRU", "purpose", "not a DUO code"),
        ("DS", "GRU", "purpose", "DS needs a disease"),
        ("DS:C98", "GRU", "purpose", "outside every ICD-10 block"),
        ("DS:C40-C30", "GRU", "purpose", "ends before it starts"),
        ("DS:lung", "GRU", "purpose", "not an ICD-10 code"),
        ("DS:XXIII", "GRU", "purpose", "not an ICD-10"),
        ("", "GRU", "purpose", "at least one code"),
    ],
)
def test_bad_codes_are_refused_naming_the_side(
    purpose: str, dataset: str, field: str, phrase: str
) -> None:
    with pytest.raises(InvalidInput, match=phrase) as caught:
        match_duo(purpose, dataset)
    assert caught.value.location is not None and caught.value.location.field == field


def test_the_icd10_table_has_22_chapters_and_blocks_inside_them() -> None:
    chapters = icd10.chapters()
    assert [c.chapter for c in chapters][:3] == ["I", "II", "III"]
    assert len(chapters) == 22
    for block in icd10.blocks():
        [owner] = [c for c in chapters if c.chapter == block.chapter]
        assert owner.first <= block.first <= block.last <= owner.last, block
    lung = icd10.parse_term("C34")
    assert "block C30-C39" in icd10.describe(lung) and "chapter II" in icd10.describe(lung)


ICD_CATEGORIES = st.sampled_from(icd10.blocks()).flatmap(
    lambda block: st.integers(block.first // 10, block.last // 10).map(
        lambda n: f"{chr(ord('A') + n // 100)}{n % 100:02d}"
    )
)


@settings(max_examples=150, deadline=None)
@given(category=ICD_CATEGORIES, sub=st.integers(0, 9))
def test_a_code_is_within_its_block_chapter_and_itself(category: str, sub: int) -> None:
    term = icd10.parse_term(category)
    [block] = [b for b in icd10.blocks() if b.first <= term.first <= b.last]
    [chapter] = [c for c in icd10.chapters() if c.chapter == block.chapter]
    for dataset in (category, block.code_range, chapter.chapter, f"{category}.{sub}"):
        verdict = match_duo(f"DS:{category}.{sub}", f"DS:{dataset}")
        assert verdict.decision == "approve", (category, dataset, verdict.reasons)
    assert match_duo(f"DS:{block.code_range}", f"DS:{category}").decision == (
        "approve" if block.first // 10 == block.last // 10 else "deny"
    )


PRIMARY = st.sampled_from(["GRU", "HMB", "POA", "MDS", "DS:C34", "DS:E10-E14"])
MODIFIER = st.sampled_from(["NPU", "NCU", "IRB", "COL", "PUB"])


@settings(max_examples=200, deadline=None)
@given(
    purpose=st.lists(PRIMARY, min_size=1, max_size=2),
    commitments=st.lists(MODIFIER, max_size=3),
    dataset=st.lists(PRIMARY, min_size=1, max_size=2),
    limits=st.lists(MODIFIER, max_size=3),
    flags=st.lists(st.sampled_from(sorted(PURPOSE_FLAGS)), max_size=2),
    for_profit=st.booleans(),
)
def test_decisions_are_pure_and_deny_beats_refer_beats_approve(
    purpose: list[str], commitments: list[str], dataset: list[str], limits: list[str],
    flags: list[str], for_profit: bool,
) -> None:
    wanted = ",".join(purpose + commitments + flags)
    offered = ",".join(dataset + limits)
    verdict = match_duo(wanted, offered, for_profit=for_profit)
    assert verdict == match_duo(wanted, offered, for_profit=for_profit)
    without_flags = match_duo(",".join(purpose + commitments), offered, for_profit=for_profit)
    if without_flags.decision == "deny":
        assert verdict.decision == "deny"
    elif flags:
        assert verdict.decision == "refer"
    if for_profit and {"NPU", "NCU"} & set(limits):
        assert verdict.decision == "deny"
    if "GRU" in dataset and not limits and not flags:
        assert verdict.decision == "approve"
    assert verdict.reasons, "every decision carries its reasons"


def test_parsed_codes_keep_what_was_asked() -> None:
    codes = parse_codes("HMB, DS:C34.1, NPU, paediatric", side="purpose", allow_flags=True)
    assert codes.as_codes() == ["HMB", "DS:C34.1", "NPU", "paediatric"]


@pytest.mark.parametrize(
    ("arguments", "decision"),
    [
        (["--purpose", "DS:C34", "--dataset", "GRU"], "approve"),
        (["--purpose", "DS:C00-C97", "--dataset", "DS:C34"], "deny"),
        (["--purpose", "HMB", "--dataset", "POA"], "deny"),
        (["--purpose", "HMB", "--dataset", "NPU", "--for-profit"], "deny"),
        (["--purpose", "HMB,paediatric", "--dataset", "GRU"], "refer"),
    ],
)
def test_the_duo_match_command_answers_in_the_agreed_shape(
    arguments: list[str], decision: str
) -> None:
    result = CliRunner().invoke(app, ["policy", "duo-match", *arguments, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"decision", "reasons"}
    assert body["decision"] == decision
    assert body["reasons"] and all(isinstance(r, str) for r in body["reasons"])


def test_the_duo_match_command_refuses_unknown_codes_with_exit_code_3() -> None:
    result = CliRunner().invoke(
        app, ["policy", "duo-match", "--purpose", "HMB", "--dataset", "NOPE", "--json"]
    )
    assert result.exit_code == 3
    assert json.loads(result.stdout)["error"]["location"] == {"field": "dataset"}
