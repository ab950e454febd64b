"""No code path produces a non-exempt extract holding an opted-out patient (Hypothesis).

Over random populations (who is in the record store, some without an NHS number), random
choice histories (any choice of the policy, opt-outs and withdrawals, effective on random
days, recorded in random order), random projects (research or planning, commercial or not,
with or without an exemption on any basis, with random consents) and random cut-offs, the
extract must hold exactly the store's patients minus those a plain replay of the rules
says to withhold — checked by the pseudonyms in the extract file, on both databases.
"""

from __future__ import annotations

import datetime as dt
import itertools
import shutil
from pathlib import Path

from choice_fixtures import POOL, START, approved_project, write_store
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from openhaven.choices import exemptions, service
from openhaven.core.haven import Haven
from openhaven.engine import open_session
from openhaven.provisioning.pseudonym import patient_token, project_key, pseudonymise
from openhaven.provisioning.service import provision_extract

CHOICES = ["research-and-planning", "type-1"]
BASES = [None, "consent", "anonymised", "copi_regulation_3", "overriding_public_interest",
         "legal_requirement"]
LIFTING = {"copi_regulation_3", "overriding_public_interest", "legal_requirement"}
COUNTER = itertools.count()

events_strategy = st.lists(
    st.tuples(st.sampled_from(POOL[:6]), st.sampled_from(CHOICES),
              st.sampled_from(["opt_out", "withdraw"]), st.integers(0, 9)),
    max_size=20,
)


def _expected_withheld(
    events: list[tuple[str, str, str, int]], cut_off: dt.datetime, basis: str | None,
    consents: dict[str, tuple[bool, int]],
) -> set[str]:
    """A plain replay of the rules, written apart from the code under test."""
    if basis in LIFTING:
        return set()
    latest: dict[str, str] = {}
    ordered = sorted(enumerate(events), key=lambda item: (item[1][3], item[0]))
    for _, (number, choice, value, day) in ordered:
        if choice == "research-and-planning" and START + dt.timedelta(days=day) <= cut_off:
            latest[number] = value
    withheld = {n for n, v in latest.items() if v == "opt_out"}
    if basis == "consent":
        withheld = {
            n for n in withheld
            if not (n in consents and consents[n][0]
                    and START + dt.timedelta(days=consents[n][1]) <= cut_off)
        }
    return withheld


@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.generate, Phase.shrink],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    population=st.lists(st.sampled_from(POOL[:8]), unique=True, min_size=1, max_size=8),
    without_number=st.booleans(),
    events=events_strategy,
    purpose_codes=st.sampled_from(["HMB", "GRU", "HMB NCU"]),
    commercial=st.booleans(),
    basis=st.sampled_from(BASES),
    consents=st.dictionaries(st.sampled_from(POOL[:6]), st.tuples(st.booleans(),
                                                                  st.integers(0, 9))),
    cut_off_day=st.integers(-1, 10),
)
def test_no_non_exempt_extract_holds_an_opted_out_patient(
    session: Session, haven: Haven, tmp_path: Path, population: list[str],
    without_number: bool, events: list[tuple[str, str, str, int]], purpose_codes: str,
    commercial: bool, basis: str | None, consents: dict[str, tuple[bool, int]],
    cut_off_day: int,
) -> None:
    run = next(COUNTER)
    numbers: list[str | None] = [*population, *([None] if without_number else [])]
    write_store(haven.paths.record_store.with_name(f"records-{run}.duckdb"), numbers)
    haven.paths.record_store.unlink(missing_ok=True)
    haven.paths.record_store.with_name(f"records-{run}.duckdb").rename(
        haven.paths.record_store)
    shutil.rmtree(haven.paths.projects, ignore_errors=True)  # references repeat after rollback
    cut_off = START + dt.timedelta(days=cut_off_day, hours=12)
    nested = session.begin_nested()
    try:
        project = approved_project(session, haven, purpose_codes=purpose_codes,
                                   commercial=commercial, suffix=str(run))
        service.record_choices_bulk(
            session, haven,
            [{"nhs_number": n, "choice": c, "value": v,
              "effective_at": START + dt.timedelta(days=d)} for n, c, v, d in events],
            recorded_by="person:1", channel="bulk_file",
        )
        if basis is not None:
            exemptions.record_exemption(
                session, haven, project.reference, choice="research-and-planning",
                basis=basis, approved_by="person:2", justification="test",
                recorded_by="custodian", valid_from=START - dt.timedelta(days=30),
            )
        for number, (given_, day) in consents.items():
            exemptions.record_project_consent(
                session, haven, project.reference, nhs_number=number,
                value="given" if given_ else "withdrawn", recorded_by="person:3",
                effective_at=START + dt.timedelta(days=day),
            )
        report = provision_extract(session, haven, project.reference, actor="custodian",
                                   cut_off=cut_off)
        withheld = _expected_withheld(events, cut_off, basis, consents)
        key = project_key(haven.master_key(), project.reference)
        expected = {
            pseudonymise(key, patient_token(number, f"p{index}"))
            for index, number in enumerate(numbers)
            if number is None or number not in withheld
        }
        with open_session(haven.home / report.path, read_only=True) as extract:
            found = set(extract.query("SELECT pseudonym FROM patients")
                        .column("pseudonym").to_pylist())
        assert found == expected
        assert report.removed_by_choices == len(withheld & set(population))
        exempt = basis in LIFTING
        assert report.choices["applied"] == ([] if exempt else ["research-and-planning"])
    finally:
        nested.rollback()
        session.expunge_all()
