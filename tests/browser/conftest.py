"""Browser tests: the real app on a real threaded server, driven by Debian's Chromium.

Never run `playwright install`: the tests use /usr/bin/chromium. `check_a11y(page)` runs axe-core
on the current page and fails on serious or critical violations.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page
from sqlalchemy import select
from werkzeug.serving import make_server

from drafts.models import Initiative, Role, User
from publisher import create_app
from publisher.auth import hash_password

PASSWORD = "a long browser test passphrase"
BLOCKING = ("serious", "critical")


@pytest.fixture
def live_app(app_config: dict[str, Any]) -> Iterator[Flask]:
    """The app on the test database (not in testing mode: it behaves as in production)."""
    config = {k: v for k, v in app_config.items() if k != "TESTING"}
    application = create_app(config)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def live_server(live_app: Flask) -> Iterator[str]:
    """Serve the app on a free port in a thread; give its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A fresh browser tab (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server, locale="da-DK",
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def add_user(live_app: Flask) -> Any:
    """Create a user in the live app's database: add_user(username, role, initiatives)."""

    def _add(username: str, role: Role, initiatives: tuple[str, ...] = ()) -> str:
        with live_app.extensions["db_sessionmaker"]() as db:
            found = list(db.scalars(select(Initiative).where(Initiative.slug.in_(initiatives))))
            db.add(User(username=username, name=username.title(), role=role.value,
                        email=f"{username}@example.org", password_hash=hash_password(PASSWORD),
                        initiatives=found, created_at=datetime.now(UTC)))
            db.commit()
        return username

    return _add


def log_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form."""
    page.goto("/login")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url("**/queue")


def check_a11y(page: Page) -> None:
    """Run axe-core on the page; fail (printing them) on serious or critical violations."""
    results = Axe().run(page)
    # After axe (and a full-page screenshot) Chromium can scroll as a click lands, so the click
    # misses; starting from the top again keeps later clicks where they are aimed.
    page.evaluate("window.scrollTo(0, 0)")
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    for violation in blocking:
        print(f"axe {violation['impact']}: {violation['id']} — {violation['help']}")
        for node in violation["nodes"][:5]:
            print("   ", node.get("target"), node.get("failureSummary", "").replace("\n", " "))
    assert not blocking, f"{len(blocking)} serious/critical accessibility problems on {page.url}"


@pytest.fixture(name="check_a11y")
def check_a11y_fixture() -> Any:
    """`check_a11y` for tests (fixtures avoid importing from conftest by module name)."""
    return check_a11y


@pytest.fixture(name="log_in")
def log_in_fixture() -> Any:
    """`log_in` for tests."""
    return log_in


def screenshot_dir(tmp_path: Path) -> Path:
    """docs/screenshots when UPDATE_SCREENSHOTS=1 (to refresh the README's pictures), else a
    temporary folder, so an ordinary test run leaves the working tree as it was."""
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        target = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    else:
        target = tmp_path / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return target
