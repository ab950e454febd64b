"""A real browser (Debian's chromium, driven by Playwright) on `openhaven serve`."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from signing_in import fresh_totp_code

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (scripts/ensure-services installs it as root)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(demo_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    openhaven = Path(sys.executable).parent / "openhaven"
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(openhaven), "serve", "--home", str(demo_home), "--port", str(port)],
            stdout=log_file, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/api/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("openhaven serve did not answer")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_home_page_in_a_browser_lists_stages_and_links_through(
    server: str, demo_accounts: dict[str, Any]
) -> None:
    """Signed in as the project's researcher: through the sign-in pages, then the journey."""
    researcher = demo_accounts["researcher"]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(server + "/projects")
            assert "/sign-in" in page.url  # not signed in yet: sent to sign in
            page.fill("#email", researcher["email"])
            page.fill("#password", researcher["password"])
            page.click("#sign-in button[type=submit]")
            page.wait_for_load_state()
            page.fill("#code", fresh_totp_code(researcher["totp_secret"]))
            page.click("#second-factor button[type=submit]")
            page.wait_for_load_state()
            assert page.url == server + "/projects"
            page.goto(server + "/")
            stages = page.locator("#journey .stage")
            assert stages.count() == 9
            assert "Records ingested" in stages.nth(0).inner_text()
            assert "released" in page.locator(
                "#journey .stage[data-stage=release]").inner_text()
            page.locator("#journey .stage[data-stage=governance] a").click()
            page.wait_for_load_state()
            assert page.url.startswith(server + "/projects/OH-")
            assert page.locator("#extracts tbody tr").count() == 1
            page.locator("#outputs a").first.click()
            page.wait_for_load_state()
            assert page.locator("#result tbody tr").count() > 0
            assert errors == [], errors  # e.g. a CSP violation would show here
        finally:
            browser.close()
