"""Polish a newcomer notices: the first command needs no secret, a favicon, the mail footer,
the service's own parts named in words, scrollable tables reachable by keyboard."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from drafts.models import AuditEvent
from tests.firstday.helpers import arrange

PUBLISHER = Path(sys.executable).with_name("publisher")
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}


def test_publisher_help_needs_no_secret_and_lists_only_its_own_commands():
    result = subprocess.run(
        [str(PUBLISHER), "--help"], env=CLEAN_ENV, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "sandbox" in result.stdout and "serve" in result.stdout
    assert "--env-file" not in result.stdout and "--app" not in result.stdout
    assert "--debug" not in result.stdout and "SECRET_KEY" not in result.stderr


def test_publisher_sandbox_help_needs_no_secret():
    result = subprocess.run(
        [str(PUBLISHER), "sandbox", "--help"],
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"


def test_the_publishing_page_tables_can_be_reached_by_keyboard(admin_client):
    page = admin_client.get("/publishing").get_data(as_text=True)
    assert '<div class="table-wrap" tabindex="0" role="region"' in page


def test_history_names_the_approval_service_in_words(admin_client, db):
    draft_id = arrange(db)
    db.add(
        AuditEvent(
            action="approval_held",
            actor_type="system",
            actor_label="approvals",
            draft_id=draft_id,
            details={},
        )
    )
    db.commit()
    page = admin_client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    history = page[page.index('class="history"') :]
    assert "godkendelsestjenesten" in history
    assert "· approvals" not in history


def test_the_draft_page_shows_how_often_each_share_link_was_clicked(admin_client, db):
    from datetime import date

    from drafts.models import Municipality
    from drafts.tracking import LinkClick, TrackedLink

    draft_id = arrange(db)
    muni = db.query(Municipality).filter_by(slug="roskilde").one()
    link = TrackedLink(
        code="abc123",
        url="https://kulturmetropolen.dk/koncert",
        draft_id=draft_id,
        municipality_id=muni.id,
        channel="share",
    )
    db.add(link)
    db.flush()
    db.add_all(
        [
            LinkClick(link_id=link.id, day=date(2026, 11, 27), clicks=4),
            LinkClick(link_id=link.id, day=date(2026, 11, 28), clicks=3),
        ]
    )
    db.commit()
    page = admin_client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    section = page[page.index('id="clicks-heading"') :]
    assert "/l/abc123" in section and "Roskilde" in section
    assert "<td>7</td>" in section
