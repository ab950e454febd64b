"""The demo journey, end to end, on real parts: every stage correct, not just present."""

from __future__ import annotations

from pathlib import Path

from openhaven.core.database import make_engine, unit_of_work
from openhaven.core.haven import Haven
from openhaven.engine import open_session
from openhaven.journey.demo import OPT_OUT_SHARE, DemoReport
from openhaven.ledger import read_entries, verify
from openhaven.provisioning.pseudonym import patient_token, project_key, pseudonymise
from openhaven.records.store import open_store


def _extract_path(home: Path) -> Path:
    paths = sorted(home.glob("projects/*/extracts/v1/extract.duckdb"))
    assert len(paths) == 1
    return paths[0]


def test_every_stage_ran_in_order(demo: DemoReport, demo_patients: int) -> None:
    keys = [stage["key"] for stage in demo.stages]
    assert keys[:4] == ["ingest", "choices", "governance", "provision"]
    assert keys[4:] == ["query", "query", "dummy", "job", "release"]
    assert demo.stages[0]["ingested"]["patients"] == demo_patients


def test_opted_out_patients_are_absent_and_the_rest_present(
    demo_home: Path, demo_patients: int
) -> None:
    haven = Haven.open(demo_home)
    engine = make_engine(haven.settings.database_url)
    from openhaven.choices.service import opted_out_nhs_numbers
    from openhaven.core.clock import utc_now

    with unit_of_work(engine) as session:
        opted_out = set(opted_out_nhs_numbers(session, at=utc_now()))
    engine.dispose()
    assert len(opted_out) == int(demo_patients * OPT_OUT_SHARE)

    reference = _extract_path(demo_home).parts[-4]
    key = project_key(haven.master_key(), reference)
    with open_store(haven.paths.record_store, read_only=True) as store:
        patients = store.query("SELECT patient_id, nhs_number FROM patients").to_pylist()
    expected = {
        pseudonymise(key, patient_token(p["nhs_number"], p["patient_id"]))
        for p in patients if p["nhs_number"] not in opted_out
    }
    excluded = {
        pseudonymise(key, patient_token(p["nhs_number"], p["patient_id"]))
        for p in patients if p["nhs_number"] in opted_out
    }
    with open_session(_extract_path(demo_home), read_only=True) as extract:
        present = set(extract.query("SELECT pseudonym FROM patients").column(0).to_pylist())
        in_conditions = set(
            extract.query("SELECT DISTINCT pseudonym FROM conditions").column(0).to_pylist()
        )
    assert present == expected
    assert not present & excluded
    assert in_conditions <= present


def test_extract_holds_no_direct_identifier(demo_home: Path) -> None:
    haven = Haven.open(demo_home)
    with open_store(haven.paths.record_store, read_only=True) as store:
        sample = store.query(
            "SELECT nhs_number, family_name FROM patients ORDER BY patient_id LIMIT 50"
        ).to_pylist()
    with open_session(_extract_path(demo_home), read_only=True) as extract:
        columns = {
            r["column_name"]
            for r in extract.query(
                "SELECT column_name FROM information_schema.columns"
            ).to_pylist()
        }
        dump = str(extract.query("SELECT * FROM patients").to_pylist())
    assert not columns & {"nhs_number", "given_name", "family_name", "address_line", "phone",
                          "postcode", "date_of_birth", "patient_id"}
    for row in sample:
        assert row["nhs_number"] not in dump


def test_released_outputs_have_no_small_counts(demo_home: Path) -> None:
    from openhaven.outputs import repository

    haven = Haven.open(demo_home)
    engine = make_engine(haven.settings.database_url)
    with unit_of_work(engine) as session:
        outputs = repository.list_outputs(session)
        import json

        results = [json.loads(o.result) if isinstance(o.result, str) else o.result
                   for o in outputs]
    engine.dispose()
    assert len(results) == 2
    values = [row[-1] for result in results for row in result["rows"]]
    assert any(v is None for v in values), "the demo should show suppression at work"
    assert all(v is None or v >= haven.settings.small_count_threshold for v in values)


def test_each_step_is_in_the_ledger_and_it_verifies(demo_home: Path) -> None:
    haven = Haven.open(demo_home)
    actions = [e.action for e in read_entries(haven)]
    for expected in ("records.ingested", "project.approved", "extract.provisioned",
                     "output.checked"):
        assert expected in actions, expected
    assert any(a.startswith("choice") for a in actions)
    assert verify(haven).ok


def test_the_demo_makes_one_account_per_role_in_a_private_file(
    demo: DemoReport, demo_home: Path
) -> None:
    from openhaven.governance.models import Role
    from openhaven.journey.demo_accounts import DEMO_PASSWORD

    assert sorted(a["role"] for a in demo.accounts) == sorted(r.value for r in Role)
    listing = demo_home / "demo-accounts.txt"
    assert listing.stat().st_mode & 0o777 == 0o600
    text = listing.read_text(encoding="utf-8")
    for account in demo.accounts:
        assert account["email"] in text
        assert (account["totp_secret"] is None) == (account["role"] == "patient")
        if account["totp_secret"]:
            assert account["totp_secret"] in text
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert DEMO_PASSWORD in readme
    assert all(a["email"] in readme for a in demo.accounts)
    assert DEMO_PASSWORD in demo.accounts_notice


def test_the_researcher_gets_dummy_data_aimed_at_the_query(
    demo: DemoReport, demo_home: Path
) -> None:
    from openhaven.journey.demo_release import DUMMY_MATCHES

    stage = next(s for s in demo.stages if s["key"] == "dummy")
    folder = demo_home / stage["folder"]
    assert (folder / "DUMMY-DATA.txt").is_file()
    with open_session(folder / "extract.duckdb", read_only=True) as dummy, \
            open_session(_extract_path(demo_home), read_only=True) as real:
        for table in ("patients", "conditions", "medications"):
            shape = f"DESCRIBE {table}"
            assert dummy.query(shape).to_pylist() == real.query(shape).to_pylist()
        dummy_ids = set(dummy.query("SELECT pseudonym FROM patients").column(0).to_pylist())
        real_ids = set(real.query("SELECT pseudonym FROM patients").column(0).to_pylist())
    assert not dummy_ids & real_ids
    assert f"{DUMMY_MATCHES} of them matching" in stage["summary"]


def test_the_job_ran_in_the_sandbox_or_was_blocked_with_its_reason(
    demo: DemoReport, demo_home: Path
) -> None:
    from openhaven.jobs.sandbox import isolation_problem

    stage = next(s for s in demo.stages if s["key"] == "job")
    problem = isolation_problem()
    if problem is None:
        assert stage["status"] == "succeeded", stage["summary"]
        produced = list(demo_home.glob(f"projects/*/jobs/{stage['job_id']}/output/*.csv"))
        assert [p.name for p in produced] == ["hypertension_by_sex_decade.csv"]
        counts = [line.rsplit(",", 1)[1] for line in produced[0].read_text().splitlines()[1:]]
        assert all(c == "" or (int(c) >= 10 and int(c) % 5 == 0) for c in counts)
    else:
        assert stage["status"] == "blocked"
        assert problem in stage["summary"]


def test_the_release_was_approved_by_two_checkers_and_its_manifest_verifies(
    demo: DemoReport, demo_home: Path
) -> None:
    from openhaven.ledger.signing_key import signing_key
    from openhaven.outputs.airlock_manifest import verify_release_folder

    stage = next(s for s in demo.stages if s["key"] == "release")
    assert stage["status"] == "released"
    folders = list(demo_home.glob(f"projects/*/airlock/request-{stage['request_id']}"))
    assert len(folders) == 1
    haven = Haven.open(demo_home)
    check = verify_release_folder(folders[0], signing_key(haven).public_key())
    assert check.valid, check.problems
    job_ran = next(s for s in demo.stages if s["key"] == "job")["status"] == "succeeded"
    assert check.files == (2 if job_ran else 1)
    events = [e.action for e in read_entries(haven)]
    assert events.count("release.reviewed") == 2
    assert "release.released" in events
