"""The demo: one real, thin pass through the whole haven.

It builds a fresh haven, generates a synthetic population, ingests it, records opt-outs for
a few per cent of patients, registers a researcher and a project, approves it, provisions a
pseudonymised extract without the opted-out patients, runs aggregate queries and
suppresses small counts, hands the researcher dummy data, runs an analysis job in the
sandbox and releases a table and the job's file through the two-checker airlock
(``demo_release``) — every step through the same services the CLI and web use, and every
step in the audit log.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from openhaven.analysis.query_spec import AggregateQuery
from openhaven.choices import service as choices
from openhaven.core.clock import utc_now
from openhaven.core.database import make_engine, migrate, unit_of_work
from openhaven.core.errors import ConfigurationError
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.governance.access import record_accreditation
from openhaven.journey.demo_accounts import (
    as_dicts,
    create_demo_accounts,
    describe,
    write_accounts_file,
)
from openhaven.journey.demo_links import link_demo_people
from openhaven.journey.demo_release import run_release_journey
from openhaven.outputs.service import run_checked_query
from openhaven.provisioning.service import provision_extract
from openhaven.provisioning.specification import DEMO_SPECIFICATION
from openhaven.records.generator import generate_population, write_parquet
from openhaven.records.ingest import ingest_paths
from openhaven.records.store import open_store

DEMO_MARKER = ".openhaven-demo"
OPT_OUT_SHARE = 0.03
HYPERTENSION = "38341003"

DEMO_QUERIES: tuple[dict[str, Any], ...] = (
    {
        "name": "hypertension-by-sex-and-age",
        "population": {"conditions": {"code_system": "snomed", "codes": [HYPERTENSION]}},
        "measure": "count_patients",
        "group_by": ["sex", "age_band"],
    },
    {
        "name": "hypertension-by-ethnicity-and-age",
        "population": {"conditions": {"code_system": "snomed", "codes": [HYPERTENSION]}},
        "measure": "count_patients",
        "group_by": ["ethnicity", "age_band"],
    },
)


@dataclass
class DemoReport:
    home: Path
    stages: list[dict[str, Any]] = field(default_factory=list)
    #: one demo account per role (role, email, password, TOTP seed, person reference)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    #: the same, as text to print once when the demo has run
    accounts_notice: str = ""
    #: what the patient and proxy accounts were linked to (never an NHS number)
    linked: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, title: str, summary: str, **details: Any) -> None:
        self.stages.append({"key": key, "title": title, "summary": summary, **details})


def prepare_home(home: Path) -> None:
    """Empty a previous demo haven; refuse to touch a folder that is not one."""
    if home.exists() and any(home.iterdir()):
        if not (home / DEMO_MARKER).exists():
            raise ConfigurationError(
                "The folder already holds something that is not a demo haven; "
                "choose another --home for the demo."
            )
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / DEMO_MARKER).write_text("This folder is an OpenHaven demo haven.\n", encoding="utf-8")


def run_demo(
    home: Path,
    *,
    patients: int = 50_000,
    seed: int = 2026,
    step: Callable[[str], None] = lambda _title: None,
) -> DemoReport:
    prepare_home(home)
    haven = Haven.open(home)
    report = DemoReport(home=haven.home)
    engine = make_engine(haven.settings.database_url)
    try:
        migrate(engine)
        step(f"Generating {patients:,} synthetic patients")
        _generate_and_ingest(haven, patients, seed, report, step)
        step("Recording patients' opt-outs")
        _record_opt_outs(haven, engine, seed, report)
        step("Registering the researcher and approving the project")
        reference = _approve_project(haven, engine, report)
        step("Creating one demo account per role")
        _create_demo_accounts(haven, engine, report)
        report.linked = link_demo_people(haven, engine)
        step("Provisioning the project's extract")
        with unit_of_work(engine) as session:
            extract = provision_extract(session, haven, reference, actor="custodian")
        report.add(
            "provision", "Extract provisioned",
            f"{extract.patient_count:,} patients, {extract.removed_by_choices:,} removed by "
            "opt-outs, NHS numbers replaced by keyed pseudonyms",
            link=f"/projects/{reference}", report=extract.as_dict(),
        )
        step("Running aggregate queries with small-count suppression")
        first_output: int | None = None
        for raw in DEMO_QUERIES:
            query = AggregateQuery.from_dict(raw, source="demo")
            with unit_of_work(engine) as session:
                result = run_checked_query(session, haven, reference, query, actor="researcher")
            suppressed = len(result["checks"]["minimum_cell_count"]["suppressed_cells"])
            report.add(
                "query", f"Query “{query.name}”",
                f"{len(result['rows'])} cells, {suppressed} suppressed below "
                f"{haven.settings.small_count_threshold}; verdict {result['verdict']}",
                link=f"/outputs/{result['output_id']}",
            )
            first_output = first_output or int(result["output_id"])
        assert first_output is not None
        run_release_journey(haven, engine, reference, first_output, DEMO_QUERIES[0],
                            report.add, step)
    finally:
        engine.dispose()
    return report


def _generate_and_ingest(
    haven: Haven, patients: int, seed: int, report: DemoReport, step: Callable[[str], None]
) -> None:
    population = generate_population(patients, seed=seed)
    incoming = haven.home / "incoming" / "generated"
    write_parquet(population, incoming)
    del population
    step("Ingesting them into the record store")
    result = ingest_paths(haven, [incoming])
    report.add(
        "ingest", "Records ingested",
        ", ".join(f"{n:,} {k}" for k, n in result.ingested.items()),
        link="/records", ingested=result.ingested, quarantined=result.quarantined,
    )


def _record_opt_outs(haven: Haven, engine: Any, seed: int, report: DemoReport) -> None:
    with open_store(haven.paths.record_store, read_only=True) as store:
        numbers = store.query(
            "SELECT nhs_number FROM patients WHERE nhs_number IS NOT NULL ORDER BY nhs_number"
        ).column("nhs_number").to_pylist()
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(numbers), size=int(len(numbers) * OPT_OUT_SHARE), replace=False)
    events = [{"nhs_number": numbers[i]} for i in sorted(chosen)]
    with unit_of_work(engine) as session:
        recorded = choices.record_choices_bulk(
            session, haven, events, recorded_by="custodian", channel="bulk_file"
        )
    report.add(
        "choices", "Patient opt-outs recorded",
        f"{recorded:,} patients ({OPT_OUT_SHARE:.0%}) opted out of research and planning",
        link="/ledger",
    )


def _create_demo_accounts(haven: Haven, engine: Any, report: DemoReport) -> None:
    with unit_of_work(engine) as session:
        made = create_demo_accounts(session, haven)
    path = write_accounts_file(haven.home, made)
    report.accounts = as_dicts(made)
    report.accounts_notice = f"Demo accounts (also in {path}):\n{describe(made)}"


def _approve_project(haven: Haven, engine: Any, report: DemoReport) -> str:
    with unit_of_work(engine) as session:
        organisation = governance.register_organisation(
            session, haven, name="Northern Institute for Health Research", kind="academic",
            actor="custodian",
        )
        researcher = governance.register_person(
            session, haven, display_name="Dr Asha Patel", email="asha.patel@example.org",
            roles=["researcher"], organisation=organisation, actor="custodian",
        )
        reviewer = governance.register_person(
            session, haven, display_name="Prof Tom Reid", email="tom.reid@example.org",
            roles=["committee_member"], organisation=None, actor="custodian",
        )
        second_reviewer = governance.register_person(
            session, haven, display_name="Dr Mei Chen", email="mei.chen@example.org",
            roles=["committee_member", "output_checker"], organisation=None, actor="custodian",
        )
        accredited_from = utc_now() - timedelta(days=30)
        for kind in ("accredited_researcher", "ig_training"):
            record_accreditation(
                session, haven, researcher, kind=kind, valid_from=accredited_from,
                expires_at=accredited_from + timedelta(days=3 * 365), actor="custodian",
            )
        project = governance.create_project(
            session, haven,
            title="Hypertension across England's communities",
            lay_summary=(
                "How common high blood pressure is in different age groups and communities, "
                "to help plan fairer services."
            ),
            purpose="Health/medical/biomedical research",
            purpose_codes="HMB",
            organisation=organisation,
            lead=researcher,
            legal_basis={"article6": "6(1)(e)", "article9": "9(2)(j)", "common_law": "anonymised"},
            identifiability="pseudonymised",
            commercial=False,
            dataset_specification=DEMO_SPECIFICATION,
            team=[researcher],
            actor="researcher",
            request_details={
                "public_benefit": "Fairer planning of blood pressure services across England.",
                "declared_uses": ["research", "service-planning"],
                "cohort": "Everyone in the record store",
                "duration_days": 365,
                "safeguards_accepted": True,
            },
        )
        reference = project.reference
        governance.submit_project(session, haven, reference, actor="researcher")
        for member, reasons in (
            (reviewer, "Clear public benefit; pseudonymised, minimum necessary fields."),
            (second_reviewer, "Agreed: the fields asked for are the minimum necessary."),
        ):
            governance.approve_project(
                session, haven, reference, approver=member, reasons=reasons
            )
    report.add(
        "governance", "Project approved",
        f"{reference} screened against the policy and approved by two committee members "
        "(the quorum) for pseudonymised data",
        link=f"/projects/{reference}",
    )
    return reference
