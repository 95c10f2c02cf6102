"""The whole life of a post through the API alone, against a live server, a running worker and
the platform sandbox: create with an image, set the policy, approve as administrator, follow
the deliveries and their attempts, retry the one that failed. No HTML and no database access
in the tests: the administrator and the token come from the `publisher` CLI, as for a person.

The README's example script (scripts/examples/follow_post.py) runs against the same setup.
"""

from __future__ import annotations

import io
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from PIL import Image
from werkzeug.serving import make_server

from publisher import create_app
from publisher.cli import main
from publisher.flows.accounts import adapter_factory
from publisher.worker import notifier, schedule_settings
from schedules.settings import ScheduleSettings
from schedules.worker import Worker

ROOT = Path(__file__).resolve().parent.parent.parent
SCRIPT = ROOT / "scripts" / "examples" / "follow_post.py"


FINAL = {"published", "failed", "held", "cancelled"}


@pytest.fixture
def live(app_config: dict[str, Any], sandbox: Any, monkeypatch: pytest.MonkeyPatch
         ) -> Iterator[tuple[str, Flask]]:
    """The app served on a free port, its channels pointed at the sandbox, a worker running."""
    monkeypatch.setenv("PUBLISHER_CRED_KMP_FACEBOOK_ACCESS_TOKEN", "sandbox-page-token")
    server = make_server("127.0.0.1", 0, None, threaded=True)  # type: ignore[arg-type]
    base = f"http://127.0.0.1:{server.server_port}"
    config = {k: v for k, v in app_config.items() if k != "TESTING"}
    config.update(base_url=base, facebook_graph_url=sandbox.url("facebook"))
    app = create_app(config)
    server.app = app  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings = app.extensions["publisher_settings"]
    knobs = {**schedule_settings(settings), "backoff_base": 0.2, "backoff_cap": 1.0}
    worker = Worker(app.extensions["db_sessionmaker"], adapter_factory(settings),
                    ScheduleSettings(**knobs), notifier(app), worker_id="w-api-e2e")
    worker.start()
    try:
        yield base, app
    finally:
        worker.stop(grace=10)
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        app.extensions["db_engine"].dispose()


@pytest.fixture
def token(live: tuple[str, Flask], app_config: dict[str, Any],
          monkeypatch: pytest.MonkeyPatch) -> str:
    """An administrator and their API token, made with the `publisher` CLI as an operator
    would (settings from the environment, as in production)."""
    for key, value in app_config.items():
        if key.islower():
            monkeypatch.setenv("PUBLISHER_" + key.upper(), str(value).lower()
                               if isinstance(value, bool) else str(value))

    def run(*args: str, input: str | None = None) -> Any:
        result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    run("user", "add", "ops", "--name", "Ops", "--role", "admin", "--password-stdin",
        input="a long enough password 123\n")
    return run("token", "create", "--user", "ops").stdout.strip().splitlines()[-1]


def api(live: tuple[str, Flask], token: str) -> Callable[..., requests.Response]:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def call(method: str, path: str, **kw: Any) -> requests.Response:
        return session.request(method, f"{live[0]}/api/v1{path}", timeout=30, **kw)

    return call


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1080, 1350), "#0b4f8a").save(out, "JPEG", quality=85)
    return out.getvalue()


def settled(call: Callable[..., requests.Response], draft_id: int, seconds: float = 60
            ) -> list[dict[str, Any]]:
    """The draft's deliveries once none is waiting for the worker any more."""
    deadline = time.monotonic() + seconds
    while True:
        items = call("GET", "/deliveries", params={"draft": draft_id}).json()["items"]
        if items and all(d["status"] in FINAL for d in items):
            return items
        assert time.monotonic() < deadline, items
        time.sleep(0.3)


def test_a_post_lives_its_whole_life_through_the_api_alone(live, token, sandbox):
    call = api(live, token)
    created = call("POST", "/drafts", json={
        "title": "Sommerkoncert i Byparken", "body": "Gratis koncert for alle.",
        "initiative": "music", "municipalities": ["roskilde"], "channels": ["facebook"]})
    assert created.status_code == 201, created.text
    draft_id = created.json()["id"]
    with_image = call("POST", f"/drafts/{draft_id}/media",
                      files={"image": ("plakat.jpg", jpeg(), "image/jpeg")},
                      data={"alt_text": "Plakaten for sommerkoncerten"})
    assert with_image.status_code == 201, with_image.text
    policy = call("PUT", f"/drafts/{draft_id}/approvals/policy", json={
        "mode": "none", "rule": "any", "approver_ids": [], "deadline_hours": 0,
        "reminder_hours": 0})
    assert policy.status_code == 200, policy.text

    # The platform refuses the page token once: the delivery fails for good, and says so.
    sandbox.fault(platform="facebook", kind="expired_token", remaining=1)
    approved = call("POST", f"/drafts/{draft_id}/approvals/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "scheduled"
    [failed] = settled(call, draft_id)
    assert failed["status"] == "failed", failed
    assert failed["error_kind"] == "permanent" and failed["allowed_actions"] == ["retry"]
    assert "prøver igen automatisk" not in failed["problem"]
    attempts = call("GET", f"/deliveries/{failed['id']}/attempts").json()
    assert [a["outcome"] for a in attempts] == ["failed"]
    listed = call("GET", "/deliveries", params={"status": "failed", "channel": "facebook",
                                                "municipality": "roskilde"}).json()
    assert [d["id"] for d in listed["items"]] == [failed["id"]]

    # Someone fixed the token; a retry through the API publishes it, with the image.
    retried = call("POST", f"/deliveries/{failed['id']}/retry", json={})
    assert retried.status_code == 200, retried.text
    [done] = settled(call, draft_id)
    assert done["status"] == "published" and done["external_url"], done
    assert done["problem"] == ""
    outcomes = [a["outcome"] for a in call("GET", f"/deliveries/{done['id']}/attempts").json()]
    assert outcomes == ["failed", "published"]
    posts = list(sandbox.store.collection("facebook", "posts").values())
    assert len(posts) == 1 and posts[0]["message"].startswith("Sommerkoncert i Byparken")
    assert call("GET", f"/drafts/{draft_id}").json()["status"] == "published"


def test_the_readme_example_script_creates_approves_and_follows_a_post(live, token, sandbox,
                                                                       tmp_path):
    image = tmp_path / "plakat.jpg"
    image.write_bytes(jpeg())
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--url", live[0], "--image", str(image),
         "--alt", "Plakaten", "--timeout", "60"],
        env={"PUBLISHER_TOKEN": token, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 of 1 deliveries published" in run.stdout
    assert len(sandbox.store.collection("facebook", "posts")) == 1
