"""The demo's second half: how a researcher's work gets out of the haven, safely.

After the demo's project has an extract and its queries have been checked, this module walks
the path the safe setting and the airlock exist for: dummy data aimed at the project's query
(what the researcher develops against, outside), an analysis job run in the sandbox against
the real extract (inside), and a release request holding a checked query table and the job's
output file, approved by two independent output checkers and released with a signed
manifest. Every step goes through the same services as the CLI and the web, so the ledger
shows the demo exactly as it would show a real project.

Where this machine cannot build a sandbox (no bubblewrap, or not started as root) the job is
recorded as *blocked* with its reason — never run unconfined — and the release goes ahead with
the query table alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from openhaven.analysis.dummy_service import project_dummy_data
from openhaven.analysis.query_spec import AggregateQuery
from openhaven.core.database import unit_of_work
from openhaven.core.haven import Haven
from openhaven.governance import service as governance
from openhaven.jobs.service import run_job
from openhaven.outputs.airlock import ItemRequest, request_release, review_release

#: the second of the two independent output checkers the airlock needs (the first is the
#: demo's committee member who also checks outputs); neither is on the project's team.
SECOND_CHECKER = ("Dr Lena Fischer", "lena.fischer@example.org")
RESEARCHER_EMAIL = "asha.patel@example.org"
FIRST_CHECKER_EMAIL = "mei.chen@example.org"
DUMMY_MATCHES = 50

#: The demo's analysis job: patients by sex and decade of birth among those with hypertension,
#: counts under 10 suppressed and the rest rounded to 5 in the script itself, so the file
#: passes the checks first time. It reads only the extract's Parquet tables.
DEMO_JOB_SCRIPT = '''\
"""Patients with hypertension by sex and decade of birth (demo analysis job)."""
import os

import polars as pl

folder = os.path.join(os.path.dirname(os.environ["OPENHAVEN_EXTRACT"]), "tables")
patients = pl.read_parquet(os.path.join(folder, "patients.parquet"))
conditions = pl.read_parquet(os.path.join(folder, "conditions.parquet"))
cases = conditions.filter(pl.col("code") == "38341003").select("pseudonym").unique()
table = (
    patients.join(cases, on="pseudonym")
    .with_columns((pl.col("date_of_birth_year") // 10 * 10).alias("born_in_decade"))
    .group_by("sex", "born_in_decade")
    .agg(pl.len().alias("patients"))
    .with_columns(
        pl.when(pl.col("patients") < 10)
        .then(None)
        .otherwise((pl.col("patients") / 5).round(0).cast(pl.Int64) * 5)
        .alias("patients")
    )
    .sort("sex", "born_in_decade")
)
table.write_csv(os.path.join(os.environ["OPENHAVEN_OUTPUT"], "hypertension_by_sex_decade.csv"))
print(f"wrote {table.height} cells")
'''

Add = Callable[..., None]


def run_release_journey(
    haven: Haven,
    engine: Engine,
    reference: str,
    query_output_id: int,
    hypertension_query: dict[str, Any],
    add: Add,
    step: Callable[[str], None],
) -> None:
    """Dummy data → a sandboxed job → a two-checker release of a table and the job's file."""
    step("Generating dummy data aimed at the researcher's query")
    _dummy_data(haven, engine, reference, hypertension_query, add)
    step("Running the researcher's analysis job in the sandbox")
    job_output = _analysis_job(haven, engine, reference, add)
    step("Requesting release through the airlock; two output checkers review it")
    _release(haven, engine, reference, query_output_id, job_output, add)


def _dummy_data(haven: Haven, engine: Engine, reference: str, raw_query: dict[str, Any],
                add: Add) -> None:
    query = AggregateQuery.from_dict(raw_query, source="demo")
    destination = haven.home / "outside" / "dummy" / reference
    with unit_of_work(engine) as session:
        dummy = project_dummy_data(session, haven, reference, destination, actor="researcher",
                                   query=query, min_matches=DUMMY_MATCHES)
    add("dummy", "Dummy data for the researcher",
        f"{dummy.patients:,} dummy patients with the extract's exact schema, "
        f"{dummy.matches:,} of them matching the query “{query.name}”; generated from code "
        "lists, never from real records",
        folder=str(destination.relative_to(haven.home)))


def _analysis_job(haven: Haven, engine: Engine, reference: str, add: Add) -> Path | None:
    """Run the demo job; the path of its output file, or None when it could not run."""
    script = haven.home / "outside" / "analysis.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(DEMO_JOB_SCRIPT, encoding="utf-8")
    with unit_of_work(engine) as session:
        researcher = _person(session, RESEARCHER_EMAIL)
        report = run_job(session, haven, reference, script, actor=researcher.reference,
                         person=researcher)
    outputs = ", ".join(str(o.get("file", o.get("name", "?"))) for o in report.outputs)
    add("job", "Analysis job run inside the haven",
        f"job {report.job_id} {report.status}: {report.reason}"
        + (f"; wrote {outputs}" if outputs else ""),
        link=f"/projects/{reference}", status=report.status, job_id=report.job_id)
    if report.status != "succeeded" or report.job_id is None:
        return None
    produced = haven.paths.project(reference) / "jobs" / str(report.job_id) / "output"
    found = sorted(produced.glob("*.csv"))
    return found[0] if found else None


def _release(haven: Haven, engine: Engine, reference: str, query_output_id: int,
             job_output: Path | None, add: Add) -> None:
    items = [ItemRequest(description="Patients with hypertension by sex and age band, "
                                     "small counts suppressed by the haven's checks",
                         output_id=query_output_id)]
    if job_output is not None:
        items.append(ItemRequest(description="Patients with hypertension by sex and decade "
                                             "of birth, from the analysis job; suppressed "
                                             "under 10 and rounded to 5",
                                 path=job_output))
    with unit_of_work(engine) as session:
        researcher = _person(session, RESEARCHER_EMAIL)
        first = _person(session, FIRST_CHECKER_EMAIL)
        second = governance.find_person_by_email(session, SECOND_CHECKER[1])
        if second is None:
            second = governance.register_person(
                session, haven, display_name=SECOND_CHECKER[0], email=SECOND_CHECKER[1],
                roles=["output_checker"], organisation=None, actor="custodian")
        request = request_release(session, haven, reference, requester=researcher,
                                  title="Hypertension by sex and age band", items=items)
        request_id = request.id
        for checker, comment in ((first, "Counts are suppressed and rounded; safe."),
                                 (second, "Agreed: no cell describes fewer than 10 people.")):
            request = review_release(session, haven, request_id, checker=checker,
                                     decision="approve", comments=comment,
                                     approve_exceptions=True)
        status = str(request.status.value)
    add("release", "Outputs released through the airlock",
        f"release request {request_id} with {len(items)} file(s): {status} after two "
        "independent output checkers approved it; its manifest is signed with the haven's key",
        link="/register", request_id=request_id, status=status)


def _person(session: Any, email: str) -> Any:
    person = governance.find_person_by_email(session, email)
    if person is None:  # the demo registered everyone it uses before this point
        raise LookupError(f"the demo has no person with the address {email}")
    return person
