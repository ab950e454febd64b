"""The governance API and pages, driven as the researcher and the committee would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from governance_cast import SPECIFICATION
from governance_site import Site, governance_site

PEOPLE = {"researcher": ["researcher"], "chair": ["committee_member"],
          "vice": ["committee_member"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with governance_site("sqlite", tmp_path_factory.mktemp("governance-web"), PEOPLE,
                         organisation="Web University", domain="web.ac.uk") as made:
        yield made


REQUEST = {
    "title": "Asthma and air quality",
    "lay_summary": "Whether poor air days send more people with asthma to hospital.",
    "purpose": "Health research",
    "purpose_codes": "HMB",
    "public_benefit": "Better warnings on poor air days.",
    "commercial": False,
    "declared_uses": ["research"],
    "legal_basis": {"article6": "6(1)(e)", "article9": "9(2)(j)", "common_law": "anonymised"},
    "identifiability": "pseudonymised",
    "safeguards_accepted": True,
    "data": SPECIFICATION,
}


def test_apply_submit_review_and_approve_through_the_api(site: Site) -> None:
    researcher = site.api("researcher")
    created = researcher.post("/api/requests", json=REQUEST)
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    submitted = researcher.post(f"/api/requests/{reference}/submit")
    assert submitted.json()["status"] == "committee_review"
    assert submitted.json()["screening"]["outcome"] == "allow"
    chair, vice = site.api("chair"), site.api("vice")
    queue = chair.get("/api/committee/queue").json()["queue"]
    assert [(e["reference"], e["approvals"], e["quorum"]) for e in queue] == [
        (reference, 0, 2)]
    assert researcher.get("/api/committee/queue").status_code == 403
    refused = chair.post(f"/api/requests/{reference}/votes", json={"vote": "approve"})
    assert refused.status_code == 422
    assert refused.json()["error"]["location"] == {"field": "reasons"}
    first = chair.post(f"/api/requests/{reference}/votes",
                       json={"vote": "approve", "comment": "Proportionate."})
    assert first.json()["request_status"] == "committee_review"
    second = vice.post(f"/api/requests/{reference}/votes",
                       json={"vote": "approve", "comment": "Lawful."})
    assert second.json() == {"reference": reference, "status": "approved",
                             "request_status": "approved"}
    detail = researcher.get(f"/api/requests/{reference}").json()
    assert [h["to"] for h in detail["history"]][-1] == "approved"
    assert "@web.ac.uk" not in str(detail)
    again = chair.post(f"/api/requests/{reference}/votes",
                       json={"vote": "approve", "comment": "Again."})
    assert again.status_code == 409


def test_a_bad_request_is_refused_naming_the_field(site: Site) -> None:
    answer = site.api("researcher").post("/api/requests", json={**REQUEST, "declared_uses": 3})
    assert answer.status_code == 422
    assert answer.json()["error"]["location"]["field"] == "declared_uses"
    answer = site.api("researcher").post("/api/requests", content=b"[1, 2]",
                                         headers={"content-type": "application/json"})
    assert answer.json()["error"]["location"] == {"field": "body"}


def test_the_policy_and_duo_matching_are_public(site: Site) -> None:
    anonymous = TestClient(site.app)
    policy = anonymous.get("/api/governance/policy").json()
    assert policy["quorum"] == 2 and any(r["id"] == "no-marketing" for r in policy["rules"])
    answer = anonymous.get("/api/governance/duo-match",
                           params={"purpose": "HMB", "dataset": "POA"}).json()
    assert answer["decision"] == "deny"


def test_the_application_form_and_the_review_queue_pages(site: Site) -> None:
    researcher = site.browser("researcher")
    form = researcher.get("/requests/new")
    assert form.status_code == 200 and 'name="purpose_codes"' in form.text
    posted = researcher.post("/requests/new", data={
        "title": "Form request", "lay_summary": "Asked through the form.",
        "purpose": "Health research", "purpose_codes": "HMB",
        "public_benefit": "Better care.", "declared_uses": ["research"],
        "safeguards_accepted": "yes", "article6": "6(1)(e)", "article9": "9(2)(j)",
        "common_law": "anonymised", "identifiability": "pseudonymised",
        "duration_days": "200", "data": '{"tables": {"patients": {"patient_id": "pseudonymise"}}}',
    }, follow_redirects=False)
    assert posted.status_code == 303, posted.text
    reference = posted.headers["location"].rsplit("/", 1)[1]
    bad = researcher.post("/requests/new", data={"title": "x", "data": "not json"})
    assert bad.status_code == 422 and "must be JSON" in bad.text
    site.api("researcher").post(f"/api/requests/{reference}/submit")
    chair = site.browser("chair")
    queue = chair.get("/committee")
    assert reference in queue.text
    detail = chair.get(f"/committee/{reference}")
    assert detail.status_code == 200 and 'id="vote"' in detail.text
    voted = chair.post(f"/committee/{reference}/vote",
                       data={"vote": "comment", "comment": "Looks fine."},
                       follow_redirects=False)
    assert voted.status_code == 303
    assert "Looks fine." in chair.get(f"/committee/{reference}").text
    assert researcher.get("/committee", follow_redirects=False).status_code == 403
