"""An approved project, its team, three output checkers and a checked output, for airlock tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.haven import Haven
from openhaven.governance import service
from openhaven.governance.access import record_accreditation
from openhaven.governance.models import Person, Project
from openhaven.outputs import repository as outputs
from openhaven.outputs.models import Output

CUSTODIAN = "custodian"
SPECIFICATION = {"tables": {"patients": {"patient_id": "pseudonymise", "sex": "keep"}}}


@dataclass
class AirlockWorld:
    project: Project
    lead: Person
    colleague: Person
    checker_a: Person
    checker_b: Person
    checker_c: Person
    checker_on_project: Person
    outsider: Person

    def output(self, session: Session, verdict: str = "pass", name: str = "by sex") -> Output:
        return outputs.record_output(
            session, project_id=self.project.id, extract_id=None, kind="query", name=name,
            created_at=utc_now(), result={"columns": ["sex", "count"],
                                          "rows": [["f", 40], ["m", 35]]},
            verdict=verdict, checks={"minimum_cell_count": {"suppressed_cells": []}},
            status="checked")

    def job_file(self, haven: Haven, name: str, text: str) -> Path:
        folder: Path = haven.paths.project(self.project.reference) / "jobs" / "1" / "output"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path


def build_world(session: Session, haven: Haven) -> AirlockWorld:
    university = service.register_organisation(
        session, haven, name="University of Testing", kind="academic", actor=CUSTODIAN)

    def person(name: str, roles: list[str]) -> Person:
        return service.register_person(
            session, haven, display_name=name, email=f"{name.lower()}@testing.ac.uk",
            roles=roles, organisation=university, actor=CUSTODIAN)

    lead = person("Lead", ["researcher"])
    colleague = person("Colleague", ["researcher"])
    checker_on_project = person("Dual", ["researcher", "output_checker"])
    chair, vice = person("Chair", ["committee_member"]), person("Vice", ["committee_member"])
    for member in (lead, colleague, checker_on_project):
        for kind in ("accredited_researcher", "ig_training"):
            record_accreditation(session, haven, member, kind=kind,
                                 valid_from=utc_now() - timedelta(days=30),
                                 expires_at=utc_now() + timedelta(days=365), actor=CUSTODIAN)
    project = service.create_project(
        session, haven, title="Asthma admissions and air quality",
        lay_summary="Whether poor air days send more people with asthma to hospital.",
        purpose="Health research", purpose_codes=["HMB"], organisation=university, lead=lead,
        legal_basis={"article6": "6(1)(e)", "article9": "9(2)(j)", "common_law": "anonymised"},
        identifiability="pseudonymised", commercial=False,
        dataset_specification=SPECIFICATION, team=[colleague, checker_on_project],
        actor=lead.reference,
        request_details={"public_benefit": "Fewer admissions.", "declared_uses": ["research"],
                         "safeguards_accepted": True, "duration_days": 180})
    service.submit_project(session, haven, project.reference, actor=lead.reference)
    for member in (chair, vice):
        service.approve_project(session, haven, project.reference, approver=member,
                                reasons="Proportionate; lawful.", acknowledge_flags=True)
    assert project.status == "approved", json.dumps(project.status)
    return AirlockWorld(
        project=project, lead=lead, colleague=colleague,
        checker_a=person("CheckerA", ["output_checker"]),
        checker_b=person("CheckerB", ["output_checker"]),
        checker_c=person("CheckerC", ["output_checker"]),
        checker_on_project=checker_on_project,
        outsider=person("Outsider", ["researcher"]))
