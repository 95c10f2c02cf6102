"""A new user's first day, end to end, against the demo exactly as `./scripts/run` starts it
(its own ports, database and uploads): log in, compose a post with an image for Facebook,
Instagram, the website and the newsletter due two minutes ahead, send it for approval, open the
approval mail from the sandbox's mail catcher, approve it on a 360 × 740 phone, watch it publish,
and check on the sandbox's own records that each platform has it exactly once — the newsletter
campaign sent — and that the mail's deadline was in the future."""

from __future__ import annotations

import base64
import io
import json
import os
import re
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("Europe/Copenhagen")
LINK = re.compile(r"https?://\S+/a/[A-Za-z0-9_.\-]+")
DEADLINE = re.compile(r"Svar venligst senest: .*?kl\. (\d\d)\.(\d\d)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 (our own sandbox)
        return json.load(answer)


def _wait_for(url: str, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=3):  # noqa: S310
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`./scripts/run` on free ports, with its own database and uploads; stopped afterwards."""
    port, sandbox_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "SANDBOX_PORT": str(sandbox_port),
        "SMTP_PORT": str(_free_port()),
        "PUBLISHER_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "PUBLISHER_UPLOAD_DIR": str(tmp_path / "uploads"),
        "PUBLISHER_SECRET_KEY": "first-day-test-secret-key-0123456789abcdef",
    }
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        [str(ROOT / "scripts" / "run")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", 150)
        _wait_for(f"http://127.0.0.1:{sandbox_port}/_sandbox/state", 30)
        yield {"web": f"http://127.0.0.1:{port}", "sandbox": f"http://127.0.0.1:{sandbox_port}"}
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
        log.close()


def _jpeg(path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), "teal").save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def _campaign_status(sandbox: str, campaign_id: str) -> str:
    """The campaign's status as Mailchimp's API answers it (sending turns sent once done)."""
    request = urllib.request.Request(
        f"{sandbox}/mailchimp/3.0/campaigns/{campaign_id}",
        headers={"Authorization": "Basic " + base64.b64encode(b"any:key-us1").decode()})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (our sandbox)
        return str(json.load(answer).get("status") or "")


def _records(sandbox: str, platform: str, marker: str) -> dict[str, list[dict[str, Any]]]:
    query = urllib.parse.urlencode({"platform": platform, "q": marker})
    found = _get_json(f"{sandbox}/_sandbox/state?{query}")
    return {name: c["items"] for name, c in found["platforms"].get(platform, {}).items()}


def test_a_new_users_first_day(browser: Browser, demo: dict[str, str], tmp_path: Path) -> None:
    started = time.monotonic()
    marker = f"Førstedag {uuid.uuid4().hex[:8]}"
    due = (datetime.now(UTC) + timedelta(minutes=2)).astimezone(ZONE)
    desk = browser.new_context(
        base_url=demo["web"], locale="da-DK", viewport={"width": 1280, "height": 900}
    )
    desk.set_default_timeout(20_000)
    page = desk.new_page()
    page.goto("/login")
    page.get_by_label("Brugernavn").fill("admin")
    page.get_by_label("Adgangskode").fill("demo-admin-password")
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url("**/queue")

    page.goto("/drafts/new")
    page.get_by_label("Titel").fill(marker)
    page.locator("#body").fill("Kom og hør unge bands i Roskilde. Gratis for alle.")
    page.locator("#link").fill("https://kulturmetropolen.dk/koncert")
    page.locator("select#initiative").select_option("music")
    page.locator("input[name=municipalities][value=roskilde]").check()
    for channel in ("facebook", "instagram", "website", "newsletter"):
        page.locator(f"#channels-{channel}").check()
    page.locator("#desired_at").fill(due.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#images").set_input_files(str(_jpeg(tmp_path / "koncert.jpg")))
    page.locator("#new_alt").fill("Et ungt band spiller på en scene i parken")
    page.get_by_role("button", name="Gem kladde").click()
    page.wait_for_url(re.compile(r".*/drafts/\d+$"))
    assert page.locator(".checks li.blocking").count() == 0
    expect(page.locator("#deadline-note")).to_contain_text("skal godkenderne svare senest")
    page.get_by_role("button", name="Send til godkendelse").click()
    expect(page.locator(".status").first).to_contain_text("Til godkendelse")

    # The approval mail, from the sandbox's mail catcher.
    mails: list[dict[str, Any]] = []
    end = time.monotonic() + 30
    while not mails and time.monotonic() < end:
        mails = [m for m in _records(demo["sandbox"], "mail", marker).get("messages", [])]
        time.sleep(0.5)
    assert mails, "no approval mail reached the mail catcher"
    text = str(mails[0].get("text") or "")
    asked = datetime.now(ZONE)
    deadline = DEADLINE.search(text)
    assert deadline, text
    answer_by = due.replace(hour=int(deadline[1]), minute=int(deadline[2]))
    assert answer_by >= asked.replace(second=0, microsecond=0), "the deadline was already past"
    link = LINK.search(text)
    assert link, text

    # The politician approves on a phone.
    phone = browser.new_context(
        locale="da-DK", viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    tab = phone.new_page()
    tab.goto(link[0])
    approve = tab.get_by_role("button", name="Godkend", exact=True)
    box, summary = approve.bounding_box(), tab.locator("#summary").bounding_box()
    assert box is not None and summary is not None
    assert box["y"] + box["height"] <= 740 and summary["y"] + summary["height"] <= 740
    tab.screenshot(path=str(tmp_path / "phone-approval.png"))
    approve.click()
    expect(tab.locator(".approve-status")).to_contain_text("Godkendt")
    phone.close()

    # It publishes, exactly once on each platform, the newsletter campaign sent.
    wanted = {
        "facebook": "posts",
        "instagram": "media",
        "wordpress": "posts",
        "mailchimp": "campaigns",
    }
    found: dict[str, list[dict[str, Any]]] = {}
    end = time.monotonic() + 240
    status = ""
    while time.monotonic() < end:
        found = {p: _records(demo["sandbox"], p, marker).get(c, []) for p, c in wanted.items()}
        if found["mailchimp"]:
            status = _campaign_status(demo["sandbox"], str(found["mailchimp"][0]["id"]))
        if all(found.values()) and status == "sent":
            break
        time.sleep(2)
    for platform, items in found.items():
        assert len(items) == 1, (platform, items)
    assert status == "sent"  # to the demo audience, as Mailchimp itself reports it
    page.reload()
    expect(page.locator(".status").first).to_contain_text("Udgivet")
    desk.close()
    assert time.monotonic() - started < 300
