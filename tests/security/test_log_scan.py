"""Problem 5: live approval tokens were written to the access log (/a/<token> in Werkzeug's and
gunicorn's access lines, and in the JSON log's path), though logs must never hold a secret.

The approval flow, a failed and a good login and API calls run through a real server with
access logging and JSON logging on; then no approval token, password, API token or cookie may
appear in any line any log got."""

from __future__ import annotations

import io
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from publisher.auth import new_api_token
from publisher.logs import JsonFormatter
from tests.approvals.helpers import add_approver, link_in, make_draft, request_mail, send
from tests.conftest import PASSWORD, SECRET

WRONG = "wrong-password-that-must-not-be-logged"
PORTS = range(5400, 5500)  # this checkout's range on the shared machine


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 5400-5499")


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF field"
    return found.group(1)


def _exercise(base: str, approval_path: str, api_secret: str) -> list[str]:
    """Walk the flows that carry secrets; return the secrets that were in play."""
    browser = requests.Session()
    page = browser.get(base + approval_path, timeout=10)
    assert page.status_code == 200
    browser.get(base + "/static/app.css", headers={"Referer": base + approval_path}, timeout=10)
    content_hash = re.search(r'name="content_hash" value="([0-9a-f]+)"', page.text)
    assert content_hash
    decided = browser.post(base + approval_path, timeout=10, allow_redirects=False, data={
        "csrf_token": _csrf(page.text), "decision": "approve",
        "content_hash": content_hash.group(1)})
    assert decided.status_code == 303

    staff = requests.Session()
    login = staff.get(base + "/login", timeout=10).text
    refused = staff.post(base + "/login", timeout=10, data={
        "csrf_token": _csrf(login), "username": "admin", "password": WRONG})
    assert refused.status_code == 401
    good = staff.post(base + "/login?next=/queue", timeout=10, allow_redirects=False, data={
        "csrf_token": _csrf(refused.text), "username": "admin", "password": PASSWORD})
    assert good.status_code == 302
    assert staff.get(base + "/queue", timeout=10).status_code == 200
    cookie = staff.cookies.get("publisher_session")
    assert cookie

    api = {"Authorization": f"Bearer {api_secret}"}
    assert requests.get(base + "/api/v1/drafts", headers=api, timeout=10).status_code == 200
    requests.get(base + f"/api/v1/drafts?access_token={api_secret}", timeout=10)
    token = approval_path.removeprefix("/a/")
    return [token, token.split(".")[0], PASSWORD, WRONG, api_secret, cookie]


@pytest.fixture
def asked(app, db, smtp, admin, editor) -> tuple[str, str]:
    """A draft sent for approval (the path of its live link) and an admin's API token."""
    chair = add_approver(db, "Rikke Formand")
    send(app, db, make_draft(db, editor), editor)
    path = "/a/" + link_in(request_mail(smtp, chair)).rsplit("/a/", 1)[1]
    _row, secret = new_api_token(db, admin, "log scan", datetime.now(UTC))
    db.commit()
    return path, secret


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "log_format": "json", "log_level": "DEBUG"}


@pytest.fixture
def werkzeug_logs(app) -> Iterator[tuple[str, io.StringIO]]:
    """The app under Werkzeug's server, its access log and JSON log caught in one buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger(n) for n in ("werkzeug", "publisher", "schedules", "channels")]
    before = {lg.name: lg.level for lg in loggers}
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", buffer
    server.shutdown()
    for lg in loggers:
        lg.removeHandler(handler)
        lg.setLevel(before[lg.name])


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [line for line in text.splitlines() if any(s and s in line for s in secrets)]


def test_werkzeugs_access_log_and_the_json_log_hold_no_secret(asked, werkzeug_logs):
    path, api_secret = asked
    base, buffer = werkzeug_logs
    secrets = _exercise(base, path, api_secret)
    text = buffer.getvalue()
    assert '"/a/[redacted]' in text or "/a/[redacted]" in text  # the lines are there
    assert _leaks(text, secrets) == []


def test_gunicorns_access_log_and_the_json_log_hold_no_secret(
        asked, database_url, app_config, smtp, tmp_path: Path):
    path, api_secret = asked
    port = _free_port()
    access, errors = tmp_path / "access.log", tmp_path / "stderr.log"
    env = {**os.environ, "PUBLISHER_DATABASE_URL": database_url,
           "PUBLISHER_SECRET_KEY": SECRET, "PUBLISHER_SESSION_COOKIE_SECURE": "false",
           "PUBLISHER_LOG_FORMAT": "json", "PUBLISHER_LOG_LEVEL": "DEBUG",
           "PUBLISHER_UPLOAD_DIR": app_config["upload_dir"],
           "PUBLISHER_SMTP_PORT": str(smtp.port), "PUBLISHER_BASE_URL": "http://publisher.test"}
    with errors.open("w") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--access-logfile", str(access), "--access-logformat",
             '%(h)s "%(r)s" %(s)s "%(f)s" "%({location}o)s" %(U)s?%(q)s '
             '"%({cookie}i)s" "%({authorization}i)s"',
             "--logger-class", "publisher.logs.GunicornLogger", "publisher.wsgi:app"],
            env=env, stderr=err, cwd=Path(__file__).resolve().parents[2])
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60  # a loaded machine starts gunicorn slowly
            while time.monotonic() < deadline:
                try:
                    requests.get(base + "/healthz", timeout=10)
                    break
                except requests.RequestException:
                    time.sleep(0.3)
            secrets = _exercise(base, path, api_secret)
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = access.read_text() + errors.read_text()
    assert "/a/[redacted]" in access.read_text()
    assert _leaks(text, secrets) == []
