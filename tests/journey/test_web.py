"""The web app over the demo haven: every stage shown and linked; safe headers; safe errors.

The staff pages are read signed in as the demo's custodian administrator, through the real
sign-in pages; what anonymous visitors get is checked on a client that never signs in.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from signing_in import sign_in

from openhaven.core.haven import Haven
from openhaven.records.store import open_store
from openhaven.web.app import create_app


@pytest.fixture(scope="module")
def client(demo_home: Path, demo_accounts: dict[str, Any]) -> TestClient:
    """Signed in as the custodian administrator."""
    signed_in = TestClient(create_app(Haven.open(demo_home)))
    sign_in(signed_in, demo_accounts["custodian_admin"])
    return signed_in


@pytest.fixture(scope="module")
def anonymous(demo_home: Path) -> TestClient:
    return TestClient(create_app(Haven.open(demo_home)))


def _links(html: str) -> list[str]:
    return re.findall(r'href="(/[^"]*)"', html)


def test_home_lists_each_stage_with_a_working_link(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    for stage in ("ingest", "choices", "governance", "provision", "query"):
        assert f'data-stage="{stage}"' in html
    for link in _links(html):
        assert client.get(link).status_code == 200, link


def test_anonymous_visitors_see_public_pages_only(anonymous: TestClient) -> None:
    home = anonymous.get("/")
    assert home.status_code == 200
    assert 'data-stage="ingest"' in home.text
    # Each stage's aggregate result is public, like the register; live figures are not.
    assert "removed by opt-outs" in home.text
    assert 'id="live-figures"' not in home.text
    assert anonymous.get("/register").status_code == 200
    assert anonymous.get("/api/health").status_code == 200
    for path in ("/records", "/projects"):
        answer = anonymous.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/sign-in?next="), path
    answer = anonymous.get("/api/projects")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "sign_in_required"


def test_signed_in_staff_see_the_figures(client: TestClient) -> None:
    home = client.get("/").text
    assert 'id="live-figures"' in home
    assert 'href="/account"' in home


@pytest.mark.parametrize("signed_in", [True, False])
def test_every_page_carries_the_security_headers(
    client: TestClient, anonymous: TestClient, signed_in: bool
) -> None:
    for path in ("/", "/records", "/projects", "/register", "/ledger", "/api/projects",
                 "/api/health", "/no-such-page", "/sign-in"):
        headers = (client if signed_in else anonymous).get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "no-referrer", path


def test_api_errors_have_the_one_json_shape(client: TestClient) -> None:
    response = client.get("/api/projects/OH-1999-9999")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "No project OH-1999-9999",
            "location": {"field": "reference"},
        }
    }


def test_page_errors_render_without_internals(client: TestClient) -> None:
    response = client.get("/projects/OH-1999-9999")
    assert response.status_code == 404
    assert "Traceback" not in response.text
    assert "sorry" in response.text.lower()


def test_no_page_or_api_route_shows_an_identifier(client: TestClient, demo_home: Path) -> None:
    with open_store(Haven.open(demo_home).paths.record_store, read_only=True) as store:
        sample = store.query(
            "SELECT nhs_number, family_name, postcode FROM patients ORDER BY patient_id LIMIT 200"
        ).to_pylist()
    pages = ["/", "/records", "/projects", "/register", "/ledger", "/api/projects",
             "/api/ledger", "/api/records/counts"]
    projects = client.get("/api/projects").json()["projects"]
    for project in projects:
        pages += [f"/projects/{project['reference']}", f"/api/projects/{project['reference']}"]
        pages += [f"/outputs/{o['id']}" for o in project["outputs"]]
        pages += [f"/api/outputs/{o['id']}" for o in project["outputs"]]
    bodies = [client.get(p).text for p in pages]
    for row in sample:
        for body in bodies:
            assert row["nhs_number"] not in body
            assert row["postcode"] not in body


def test_output_page_shows_suppressed_cells(client: TestClient) -> None:
    project = client.get("/api/projects").json()["projects"][0]
    suppressed = 0
    for output in project["outputs"]:
        body = client.get(f"/api/outputs/{output['id']}").json()
        suppressed += sum(row[-1] is None for row in body["result"]["rows"])
        page = client.get(f"/outputs/{output['id']}").text
        assert page.count("suppressed</span>") == sum(
            row[-1] is None for row in body["result"]["rows"]
        )
    assert suppressed > 0


def test_the_demo_patient_sees_the_project_that_used_their_record(
    demo_home: Path, demo_accounts: dict[str, Any]
) -> None:
    patient = TestClient(create_app(Haven.open(demo_home)))
    sign_in(patient, demo_accounts["patient"])
    uses = patient.get("/api/my-data")
    assert uses.status_code == 200, uses.text
    assert [use["reference"] for use in uses.json()["extracts"]] == ["OH-2026-0001"]
    own = patient.get("/api/my-choices")
    assert own.status_code == 200 and own.json()["current"] is not None


def test_the_demo_proxy_acts_for_a_child_under_parental_responsibility(
    demo_home: Path, demo_accounts: dict[str, Any]
) -> None:
    proxy = TestClient(create_app(Haven.open(demo_home)))
    sign_in(proxy, demo_accounts["proxy"])
    answer = proxy.get("/api/my-choices")
    assert answer.status_code == 200, answer.text
    acting_for = answer.json()["acting_for"]
    assert len(acting_for) == 1
    assert acting_for[0]["acting_as"] == "parental_responsibility"
    assert acting_for[0]["in_force"] is True
