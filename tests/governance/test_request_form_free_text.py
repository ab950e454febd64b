"""The application form's free-text choice, driven as a researcher's browser would.

The choice ("No free text" / "De-identified free text") is checked on the server, kept when
the form comes back with an error, stored in the request, screened by the free-text rules,
and shown on the researcher's request page and the committee's. Run on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from governance_site import Site, governance_site

from db_fixtures import ENGINES

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
PEOPLE = {"researcher": ["researcher"], "chair": ["committee_member"],
          "outsider": ["researcher"]}
NOTES_DATA = {"tables": {
    "patients": {"patient_id": "pseudonymise", "date_of_birth": "year", "sex": "keep"},
    "notes": {"patient_id": "pseudonymise", "note_date": "month", "text": "deidentify_text"},
}, "justifications": {"notes.text": "Symptoms are recorded only in the notes."}}
PLAIN_DATA = {"tables": {"patients": {"patient_id": "pseudonymise", "sex": "keep"}}}


@pytest.fixture(scope="module", params=ENGINES)
def site(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with governance_site(request.param, tmp_path_factory.mktemp("request-form"), PEOPLE,
                         organisation="Form University", domain="form.ac.uk") as made:
        yield made


def form(**changes: Any) -> dict[str, Any]:
    """A complete, valid application as the browser posts it."""
    data = changes.pop("data", NOTES_DATA)
    return {
        "title": "Breathlessness in the notes", "lay_summary": "What notes say about breathing.",
        "purpose": "Health research", "purpose_codes": "HMB",
        "public_benefit": "Earlier diagnosis.", "declared_uses": ["research"],
        "safeguards_accepted": "yes", "article6": "6(1)(e)", "article9": "9(2)(j)",
        "common_law": "anonymised", "identifiability": "pseudonymised",
        "ethics_reference": "24/LO/0001", "duration_days": "365",
        "data": data if isinstance(data, str) else json.dumps(data),
        **changes,
    }


def test_the_form_offers_the_choice_explained_with_no_free_text_chosen(site: Site) -> None:
    page = site.browser("researcher").get("/requests/new")
    assert page.status_code == 200
    assert re.search(r'name="free_text" value="none" checked', page.text)
    assert re.search(r'name="free_text" value="deidentified">', page.text)
    assert "No free text" in page.text and "De-identified free text" in page.text
    assert "the software misses some" in page.text


# the form's free-text choice and data, the allowance stored, the screening expected
CHOICES = [
    ("no free text", {"free_text": "none", "data": PLAIN_DATA}, "none", "allow", set()),
    ("the choice left out: no free text", {"data": PLAIN_DATA}, "none", "allow", set()),
    ("de-identified notes", {"free_text": "deidentified"}, "deidentified", "refer",
     {"free-text-to-committee", "free-text-on-register"}),
    ("the same choice in the data too",
     {"free_text": "deidentified", "data": {**NOTES_DATA, "free_text": "deidentified"}},
     "deidentified", "refer", {"free-text-to-committee", "free-text-on-register"}),
]


@pytest.mark.parametrize(("case", "changes", "stored", "outcome", "rules"), CHOICES,
                         ids=[c[0] for c in CHOICES])
def test_the_choice_is_stored_screened_and_shown_to_applicant_and_committee(
    site: Site, case: str, changes: dict[str, Any], stored: str, outcome: str,
    rules: set[str],
) -> None:
    researcher = site.browser("researcher")
    posted = researcher.post("/requests/new", data=form(**changes), follow_redirects=False)
    assert posted.status_code == 303, posted.text
    location = posted.headers["location"]
    reference = location.rsplit("/", 1)[1]
    assert location == f"/requests/{reference}"
    content = researcher.get(f"/api/requests/{reference}").json()["versions"][-1]["request"]
    assert content["data"].get("free_text", "none") == stored
    shown = "de-identified free text" if stored == "deidentified" else "no free text"
    draft = researcher.get(location)
    assert draft.status_code == 200 and shown in draft.text
    assert "Not screened yet" in draft.text
    submitted = researcher.post(f"/api/requests/{reference}/submit")
    screening = submitted.json()["screening"]
    assert screening["outcome"] == outcome
    assert {rule["id"] for rule in screening["fired"]} == rules
    committee = site.browser("chair").get(f"/committee/{reference}")
    assert committee.status_code == 200 and shown in committee.text
    for rule in rules:
        assert rule in committee.text and rule in researcher.get(location).text


# what is posted, the field named, words the message must hold
REFUSED = [
    ("an unknown choice", {"free_text": "verbatim"}, "free_text", "No free text"),
    ("an empty choice", {"free_text": ""}, "free_text", "De-identified free text"),
    ("the data section says otherwise",
     {"free_text": "none", "data": {**NOTES_DATA, "free_text": "deidentified"}},
     "data.free_text", "choose it on the form only"),
    ("notes through deidentify_text without the allowance", {"free_text": "none"},
     "tables.notes.text", "free_text: deidentified"),
]


@pytest.mark.parametrize(("case", "changes", "field", "words"), REFUSED,
                         ids=[c[0] for c in REFUSED])
def test_a_bad_choice_is_refused_precisely_and_nothing_is_written(
    site: Site, case: str, changes: dict[str, Any], field: str, words: str
) -> None:
    before = site.project_count()
    answer = site.browser("researcher").post("/requests/new", data=form(**changes))
    assert answer.status_code == 422
    assert field in answer.text and words in answer.text
    assert "verbatim" not in answer.text, "the typed value is never echoed"
    assert 'value="Breathlessness in the notes"' in answer.text, "the form keeps its values"
    assert site.project_count() == before


def test_the_choice_and_the_rest_are_kept_when_the_form_comes_back(site: Site) -> None:
    answer = site.browser("researcher").post("/requests/new", data=form(
        free_text="deidentified", data="not json", identifiability="identifiable",
        commercial="yes"))
    assert answer.status_code == 422 and "must be JSON" in answer.text
    assert re.search(r'name="free_text" value="deidentified" checked', answer.text)
    assert not re.search(r'name="free_text" value="none" checked', answer.text)
    assert re.search(r'<option value="identifiable" selected>', answer.text)
    assert re.search(r'name="commercial" value="yes" checked', answer.text)
    assert re.search(r'name="declared_uses" value="research" checked', answer.text)


def test_the_form_needs_the_csrf_token_of_the_page(site: Site) -> None:
    researcher = site.browser("researcher", csrf_header=False)
    token = CSRF_FIELD.search(researcher.get("/requests/new").text)
    assert token is not None
    before = site.project_count()
    forged = researcher.post("/requests/new", data={**form(free_text="deidentified"),
                                                    "csrf_token": "forged"},
                             follow_redirects=False)
    assert forged.status_code == 403
    assert site.project_count() == before
    missing = researcher.post("/requests/new", data=form(free_text="deidentified"),
                              follow_redirects=False)
    assert missing.status_code == 403
    assert site.project_count() == before
    posted = researcher.post("/requests/new", data={**form(free_text="deidentified"),
                                                    "csrf_token": token.group(1)},
                             follow_redirects=False)
    assert posted.status_code == 303, posted.text
    assert site.project_count() == before + 1


def test_only_the_team_committee_and_staff_read_the_request_page(site: Site) -> None:
    posted = site.browser("researcher").post("/requests/new", data=form(
        free_text="none", data=PLAIN_DATA), follow_redirects=False)
    location = posted.headers["location"]
    assert site.browser("chair").get(location).status_code == 200
    assert site.browser("outsider").get(location).status_code == 403
    anonymous = TestClient(site.app, raise_server_exceptions=False)
    answer = anonymous.get(location, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")
