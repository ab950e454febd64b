"""The airlock: the only way an output leaves the haven.

A researcher on an active project bundles checked query outputs and job output files into a
release request, describing each. Two output checkers review it independently: each must
hold the output_checker role, may not be the requester and may not be on the project. Votes
stay sealed until both are in; then the request is decided — any reject rejects it, else
any return sends it back with comments, else it is released. The researcher may withdraw a
request that is not yet decided, or resubmit a returned one (a new review round).

An item that failed its disclosure checks may only leave under a written exception: the
researcher writes why it is safe, and both checkers' approvals must accept it explicitly.
Tables and models also get the airlock's own checks (``airlock_checks``): their control
records verified by recomputation, and differencing against every table the project has
released, at request, at resubmission and again just before release.

On release the bundle's folder gets a manifest signed with the haven's key (see
``airlock_manifest``), the query outputs are marked released (the public register lists
them) and every step goes to the audit log.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from openhaven.core.clock import utc_now
from openhaven.core.errors import Conflict, InvalidInput, Location, NotFound, PermissionDenied
from openhaven.core.haven import Haven
from openhaven.governance.access import is_active
from openhaven.governance.models import Person, Project, Role
from openhaven.governance.workflow import get_project
from openhaven.ledger import record_event
from openhaven.ledger.key_rotation import signing_moment
from openhaven.outputs import repository as outputs
from openhaven.outputs.airlock_checks import (
    add_differencing,
    airlock_profile,
    reassess,
    table_of_file,
)
from openhaven.outputs.airlock_manifest import file_sha256, sign_manifest, write_manifest
from openhaven.outputs.airlock_models import (
    FINAL_RELEASE_STATES,
    ReleaseItem,
    ReleaseRequest,
    ReleaseReview,
    ReleaseStatus,
    ReleaseTable,
    ReviewDecision,
)
from openhaven.outputs.comparable_tables import ComparableTable
from openhaven.outputs.file_rules import check_output_file
from openhaven.outputs.models import OutputStatus
from openhaven.outputs.profiles import DisclosureProfile
from openhaven.outputs.service import COMPARABLE_KEY

REVIEWERS_NEEDED = 2
AIRLOCK_FOLDER = "airlock"


@dataclass(frozen=True)
class ItemRequest:
    """One thing to release: a checked output (``output_id``) or a job's file (``path``)."""

    description: str
    output_id: int | None = None
    path: Path | None = None
    exception_reason: str | None = None


def job_output_items(haven: Haven, reference: str, job_id: int,
                     descriptions: Mapping[str, str],
                     exceptions: Mapping[str, str] | None = None) -> list[ItemRequest]:
    """Items for the files job ``job_id`` of ``reference`` wrote, named in ``descriptions``.

    ``descriptions`` maps a file's path inside the job's output folder (e.g.
    ``"table.json"``) to what it shows; only those files are taken. ``exceptions`` gives a
    written exception for a file expected to fail its checks.
    """
    folder = haven.paths.project(reference) / "jobs" / str(job_id) / "output"
    if not descriptions:
        raise InvalidInput("Name at least one of the job's files", Location(field="files"))
    items = []
    for name, description in descriptions.items():
        path = folder / name
        if not path.is_file():
            raise InvalidInput(f"Job {job_id} wrote no file {name}", Location(file=name))
        items.append(ItemRequest(description, path=path,
                                 exception_reason=(exceptions or {}).get(name)))
    return items


def request_release(session: Session, haven: Haven, reference: str, *, requester: Person,
                    title: str, items: Sequence[ItemRequest]) -> ReleaseRequest:
    """Check every item, stage its bytes in the airlock and open a request for review."""
    if not title.strip():
        raise InvalidInput("A release request needs a title", Location(field="title"))
    if not items:
        raise InvalidInput("A release request needs at least one item", Location(field="items"))
    project = get_project(session, reference)
    _require_requester(project, requester)
    threshold = haven.settings.small_count_threshold
    profile = airlock_profile(haven)
    prepared = [_prepare(session, haven, project, item, entry, threshold, profile)
                for entry, item in enumerate(items, start=1)]
    names = [fields["name"] for fields, _content, _table in prepared]
    for entry, name in enumerate(names, start=1):
        if names.index(name) != entry - 1:
            raise InvalidInput(f"Two items are named {name}; rename one",
                               Location(entry=entry, file=name))
    add_differencing(session, haven, project,
                      {f["name"]: (f, t) for f, _c, t in prepared if t is not None})
    for entry, (fields, _content, _table) in enumerate(prepared, start=1):
        if fields["verdict"] == "fail" and fields["exception_reason"] is None:
            raise InvalidInput(f"{fields['name']} failed its checks: it can only be released "
                               "under a written exception (say why it is safe)",
                               Location(entry=entry, field="exception"))
    now = utc_now()
    request = ReleaseRequest(project_id=project.id, requested_by=requester.id,
                             title=title.strip(), status=ReleaseStatus.SUBMITTED,
                             review_round=1, created_at=now, updated_at=now)
    outputs.add_release_records(session, request)
    folder = release_folder(haven, project.reference, request.id)
    if folder.exists():  # left by an attempt whose transaction rolled back: not this request's
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for fields, content, table in prepared:
        target = folder / fields["name"]
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            shutil.copyfile(content, target)
        fields["path"] = str(target.relative_to(haven.home))
        fields["sha256"] = file_sha256(target)
        fields["size"] = target.stat().st_size
        record = ReleaseItem(request_id=request.id, **fields)
        outputs.add_release_records(session, record)
        if table is not None:
            outputs.add_release_records(session, ReleaseTable(
                item_id=record.id, project_id=project.id, universe=table.universe,
                definition=table.as_dict()))
    outputs.save_release_changes(session, request)
    record_event(haven, "release.requested", actor=requester.reference, subject=reference,
                 details={"request_id": request.id, "items": len(items),
                          "failing_items": sum(i.verdict == "fail" for i in request.items)})
    return request


def review_release(session: Session, haven: Haven, request_id: int, *, checker: Person,
                   decision: str, comments: str = "",
                   approve_exceptions: bool = False) -> ReleaseRequest:
    """Record one checker's sealed vote; decide the request once two checkers have voted."""
    request = get_release(session, request_id)
    project = _project_of(session, request)
    _require_checker(project, request, checker)
    if request.status != ReleaseStatus.SUBMITTED:
        raise Conflict(f"Release request {request_id} is {request.status}, not awaiting review")
    try:
        chosen = ReviewDecision(decision)
    except ValueError:
        raise InvalidInput("decision must be approve, return or reject",
                           Location(field="decision")) from None
    if chosen != ReviewDecision.APPROVE and not comments.strip():
        raise InvalidInput("Say why when returning or rejecting", Location(field="comments"))
    failing = [item.name for item in request.items if item.verdict == "fail"]
    if chosen == ReviewDecision.APPROVE and failing and not approve_exceptions:
        raise Conflict("Items failed their checks; approving means accepting the written "
                       "exception for each: " + ", ".join(failing))
    votes = current_votes(request)
    if any(vote.checker_id == checker.id for vote in votes):
        raise Conflict(f"You have already voted on release request {request_id} this round")
    outputs.add_release_records(session, ReleaseReview(
        request_id=request.id, review_round=request.review_round, checker_id=checker.id,
        decision=chosen, comments=comments,
        approves_exceptions=bool(approve_exceptions and failing), created_at=utc_now()))
    outputs.save_release_changes(session, request)
    record_event(haven, "release.reviewed", actor=checker.reference, subject=project.reference,
                 details={"request_id": request.id, "round": request.review_round,
                          "decision": chosen.value,
                          "accepts_exceptions": bool(approve_exceptions and failing)})
    votes = current_votes(request)
    if len(votes) >= REVIEWERS_NEEDED:
        _decide(session, haven, request, project, votes)
    return request


def withdraw_release(session: Session, haven: Haven, request_id: int, *, requester: Person,
                     reason: str = "") -> ReleaseRequest:
    request = get_release(session, request_id)
    _require_own(request, requester)
    if request.status in FINAL_RELEASE_STATES:
        raise Conflict(f"Release request {request_id} is already {request.status}")
    request.status = ReleaseStatus.WITHDRAWN
    request.updated_at = utc_now()
    outputs.save_release_changes(session)
    project = _project_of(session, request)
    record_event(haven, "release.withdrawn", actor=requester.reference,
                 subject=project.reference,
                 details={"request_id": request.id, "with_reason": bool(reason.strip())})
    return request


def resubmit_release(session: Session, haven: Haven, request_id: int, *, requester: Person,
                     exceptions: dict[str, str] | None = None,
                     descriptions: dict[str, str] | None = None) -> ReleaseRequest:
    """Send a returned request back for a fresh round of two independent reviews."""
    request = get_release(session, request_id)
    _require_own(request, requester)
    if request.status != ReleaseStatus.RETURNED:
        raise Conflict(f"Only a returned request can be resubmitted; {request_id} is "
                       f"{request.status}")
    by_name = {item.name: item for item in request.items}
    for field_name, changes in (("exceptions", exceptions), ("descriptions", descriptions)):
        for name in changes or {}:
            if name not in by_name:
                raise InvalidInput(f"No item named {name} in this request",
                                   Location(field=field_name))
    for name, text in (exceptions or {}).items():
        by_name[name].exception_reason = text.strip() or None
    for name, text in (descriptions or {}).items():
        if not text.strip():
            raise InvalidInput("A description cannot be empty", Location(field="descriptions"))
        by_name[name].description = text.strip()
    project = _project_of(session, request)
    reassess(session, haven, project, request)
    _require_exceptions(list(request.items))
    request.status = ReleaseStatus.SUBMITTED
    request.review_round += 1
    request.updated_at = utc_now()
    outputs.save_release_changes(session)
    record_event(haven, "release.resubmitted", actor=requester.reference,
                 subject=project.reference,
                 details={"request_id": request.id, "round": request.review_round})
    return request


def get_release(session: Session, request_id: int) -> ReleaseRequest:
    request: ReleaseRequest | None = outputs.get_release_request(session, request_id)
    if request is None:
        raise NotFound(f"No release request {request_id}", Location(field="request_id"))
    return request


def current_votes(request: ReleaseRequest) -> list[ReleaseReview]:
    return [r for r in request.reviews if r.review_round == request.review_round]


def review_queue(session: Session, checker: Person) -> list[ReleaseRequest]:
    """Requests this checker may review and has not yet voted on, oldest first."""
    if Role.OUTPUT_CHECKER.value not in checker.role_names:
        return []
    waiting = outputs.release_requests(session, status=ReleaseStatus.SUBMITTED.value)
    return [request for request in waiting
            if _may_review(_project_of(session, request), request, checker)
            and not any(v.checker_id == checker.id for v in current_votes(request))]


def requests_of_project(session: Session, project_id: int) -> list[ReleaseRequest]:
    return outputs.release_requests(session, project_id=project_id)


def released_bundles(session: Session, project_id: int) -> list[dict[str, Any]]:
    """What the public register shows of a project's releases: titles, files, dates."""
    return [{"request_id": r.id, "title": r.title,
             "files": [item.name for item in r.items],
             "released": r.released_at.date().isoformat() if r.released_at else None}
            for r in requests_of_project(session, project_id)
            if r.status == ReleaseStatus.RELEASED]


def released_items(session: Session, project_id: int) -> list[dict[str, Any]]:
    """Each item that left through the airlock, as the public register lists it.

    Query outputs keep their output's id and name; job files are named by their file name
    and numbered by their release item. ``released`` is the day the bundle was released.
    """
    found = []
    for request in requests_of_project(session, project_id):
        if request.status != ReleaseStatus.RELEASED or request.released_at is None:
            continue
        for item in request.items:
            name = item.name
            if item.output_id is not None:
                name = outputs.get_output(session, item.output_id).name
            found.append({"id": item.output_id if item.output_id is not None else item.id,
                          "name": name, "kind": item.kind,
                          "released": request.released_at.date().isoformat()})
    return found


def describe_release(session: Session, request: ReleaseRequest,
                     viewer: Person) -> dict[str, Any]:
    """The request as ``viewer`` may see it: votes of the round stay sealed until both are in.

    A checker who has voted sees their own vote; everyone sees earlier rounds' votes and,
    once the request is decided, this round's.
    """
    project = _project_of(session, request)
    on_project = _on_project(project, viewer)
    is_checker = _may_review(project, request, viewer)
    if not (on_project or is_checker or request.requested_by == viewer.id):
        raise PermissionDenied("Only the project team and eligible output checkers may see "
                               "this release request")
    open_round = request.status == ReleaseStatus.SUBMITTED
    reviews = []
    for review in request.reviews:
        sealed = open_round and review.review_round == request.review_round
        if sealed and review.checker_id != viewer.id:
            continue
        reviews.append({"round": review.review_round, "checker": f"person:{review.checker_id}",
                        "decision": review.decision.value, "comments": review.comments,
                        "accepts_exceptions": review.approves_exceptions,
                        "at": review.created_at.isoformat()})
    return {
        "id": request.id, "project": project.reference, "title": request.title,
        "status": request.status.value, "round": request.review_round,
        "requested_by": f"person:{request.requested_by}",
        "votes_in": len(current_votes(request)) if open_round else None,
        "items": [{"name": i.name, "kind": i.kind, "output_id": i.output_id,
                   "description": i.description, "verdict": i.verdict, "sha256": i.sha256,
                   "size": i.size, "checks": i.checks,
                   "exception_reason": i.exception_reason} for i in request.items],
        "reviews": reviews,
        "released_at": request.released_at.isoformat() if request.released_at else None,
        "manifest": request.manifest,
    }


def release_folder(haven: Haven, reference: str, request_id: int) -> Path:
    return haven.paths.project(reference) / AIRLOCK_FOLDER / f"request-{request_id}"


# -- rules -------------------------------------------------------------------------------

def _on_project(project: Project, person: Person) -> bool:
    return project.lead_id == person.id or any(m.person_id == person.id
                                               for m in project.members)


def _may_review(project: Project, request: ReleaseRequest, person: Person) -> bool:
    return (Role.OUTPUT_CHECKER.value in person.role_names
            and request.requested_by != person.id and not _on_project(project, person))


def _require_checker(project: Project, request: ReleaseRequest, checker: Person) -> None:
    if Role.OUTPUT_CHECKER.value not in checker.role_names:
        raise PermissionDenied("Only output checkers review release requests")
    if request.requested_by == checker.id:
        raise PermissionDenied("Nobody may review their own release request")
    if _on_project(project, checker):
        raise PermissionDenied("Members of the project may not review its release requests")


def _require_requester(project: Project, requester: Person) -> None:
    if not _on_project(project, requester):
        raise PermissionDenied(f"Only members of {project.reference} may request its releases")
    if not is_active(project):
        raise PermissionDenied(f"Project {project.reference} is not approved and in date")


def _require_own(request: ReleaseRequest, requester: Person) -> None:
    if request.requested_by != requester.id:
        raise PermissionDenied("Only the researcher who made a release request may change it")


def _require_exceptions(items: Sequence[ReleaseItem]) -> None:
    for entry, item in enumerate(items, start=1):
        if item.verdict == "fail" and not (item.exception_reason or "").strip():
            raise InvalidInput(
                f"{item.name} failed its checks: it can only be released under a written "
                "exception (say why it is safe)", Location(entry=entry, field="exception"))


def _project_of(session: Session, request: ReleaseRequest) -> Project:
    return request.project


def _prepare(session: Session, haven: Haven, project: Project, item: ItemRequest,
             entry: int, threshold: int, profile: DisclosureProfile
             ) -> tuple[dict[str, Any], bytes | Path, ComparableTable | None]:
    """Check one item and say what to store, which bytes to stage and, for a table, its
    comparable form; nothing is written."""
    where = Location(entry=entry)
    if not item.description.strip():
        raise InvalidInput("Every item needs a description of what it shows",
                           Location(entry=entry, field="description"))
    if (item.output_id is None) == (item.path is None):
        raise InvalidInput("Name either a checked output or a job output file", where)
    reason = (item.exception_reason or "").strip() or None
    if item.output_id is not None:
        output = outputs.get_output(session, item.output_id)
        if output.project_id != project.id:
            raise PermissionDenied(f"Output {item.output_id} belongs to another project")
        if output.status != OutputStatus.CHECKED:
            raise Conflict(f"Output {item.output_id} is {output.status}, not awaiting release")
        fields: dict[str, Any] = {
            "kind": "query", "output_id": output.id,
            "name": f"output-{output.id}-{_slug(output.name)}.json",
            "description": item.description.strip(), "verdict": str(output.verdict),
            "checks": output.checks, "exception_reason": reason}
        content: bytes | Path = json.dumps(output.result, sort_keys=True, indent=1).encode()
        checks = dict(output.checks) if isinstance(output.checks, dict) else {}
        stored = checks.pop(COMPARABLE_KEY, None)
        fields["checks"] = checks
        table = (ComparableTable.from_dict(fields["name"], stored)
                 if isinstance(stored, dict) else None)
    else:
        assert item.path is not None
        path = _inside_project(haven, project, item.path, entry)
        check = check_output_file(path)
        fields = {"kind": "file", "output_id": None, "name": path.name,
                  "description": item.description.strip(), "verdict": check.verdict,
                  "checks": check.as_dict(), "exception_reason": reason}
        if any(f.rule in ("file-type", "file-size") for f in check.findings):
            raise InvalidInput(f"{path.name} cannot be released: "
                               + "; ".join(f.reason for f in check.findings),
                               Location(entry=entry, file=path.name))
        content = path
        table = table_of_file(path, fields, threshold, profile)
    return fields, content, table


def _inside_project(haven: Haven, project: Project, path: Path, entry: int) -> Path:
    """Files must be what one of the project's jobs wrote: ``jobs/<id>/output/...``.

    Never the record store, keys, extracts, the job's code or another project's files; the
    path is resolved first, so a link cannot point out of the folder.
    """
    jobs = (haven.paths.project(project.reference) / "jobs").resolve()
    resolved = (path if path.is_absolute() else haven.home / path).resolve()
    inside = resolved.is_relative_to(jobs) and len(resolved.relative_to(jobs).parts) >= 3
    if not inside or resolved.relative_to(jobs).parts[1] != "output":
        raise PermissionDenied(f"Only files a job of {project.reference} wrote to its output "
                               f"folder can be released (entry {entry})")
    if not resolved.is_file():
        raise InvalidInput("No such file", Location(entry=entry, file=path.name))
    return resolved


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:60] or "output"


def _decide(session: Session, haven: Haven, request: ReleaseRequest, project: Project,
            votes: list[ReleaseReview]) -> None:
    decisions = {vote.decision for vote in votes}
    now = utc_now()
    request.updated_at = now
    if ReviewDecision.REJECT in decisions:
        request.status = ReleaseStatus.REJECTED
    elif ReviewDecision.RETURN in decisions:
        request.status = ReleaseStatus.RETURNED
    elif worsened := reassess(session, haven, project, request):
        # Another release since the request changed what these tables reveal: the checkers
        # approved something else. Back to the researcher, with the new findings attached.
        request.status = ReleaseStatus.RETURNED
        record_event(haven, "release.rechecked", actor="system", subject=project.reference,
                     details={"request_id": request.id, "round": request.review_round,
                              "items_worsened": len(worsened)})
    else:
        _release(session, haven, request, project, votes)
    outputs.save_release_changes(session)
    record_event(haven, f"release.{request.status.value}", actor="system",
                 subject=project.reference,
                 details={"request_id": request.id, "round": request.review_round,
                          "checkers": [f"person:{v.checker_id}" for v in votes]})


def _release(session: Session, haven: Haven, request: ReleaseRequest, project: Project,
             votes: list[ReleaseReview]) -> None:
    # dated and signed under one lock, so no key rotation falls between the two
    with signing_moment(haven) as (key, now):
        manifest = {
            "haven": "openhaven", "project": project.reference, "request_id": request.id,
            "title": request.title, "round": request.review_round,
            "requested_by": f"person:{request.requested_by}",
            "approved_by": sorted(f"person:{v.checker_id}" for v in votes),
            "released_at": now.isoformat(),
            "files": [{"name": i.name, "kind": i.kind, "output_id": i.output_id,
                       "sha256": i.sha256, "size": i.size, "description": i.description,
                       "verdict": i.verdict, "checks": i.checks,
                       "exception": i.exception_reason} for i in request.items],
        }
        signed, signature = sign_manifest(haven, manifest, key)
    write_manifest(release_folder(haven, project.reference, request.id), signed, signature)
    request.manifest = signed
    request.signature = signature
    request.released_at = now
    request.status = ReleaseStatus.RELEASED
    for item in request.items:
        if item.output_id is not None:
            outputs.set_output_status(session, outputs.get_output(session, item.output_id),
                                      OutputStatus.RELEASED.value)
