"""The sandbox's own endpoints (/_sandbox/...) and the overview page at /."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from channels.base import Account, Adapter, ChannelError, ChannelSettings, MediaItem, Post
from channels.newsletter import NewsletterAdapter
from channels.registry import CHANNELS

if TYPE_CHECKING:
    from tests.sandbox_fixtures import RunningSandbox

X_OAUTH = {"consumer_key": "ck", "consumer_secret": "cs", "access_token": "77-at",
           "access_token_secret": "ats"}  # fmt: skip


def control(sandbox: RunningSandbox, path: str) -> str:
    return f"{sandbox.base_url}/_sandbox/{path}"


def tweet(sandbox: RunningSandbox, text: str) -> requests.Response:
    return requests.post(
        f"{sandbox.url('x')}/2/tweets", json={"text": text},
        headers={"Authorization": "Bearer 77-token"}, timeout=5,
    )  # fmt: skip


class TestFaults:
    def test_it_adds_a_rule_that_the_next_call_meets(self, sandbox: RunningSandbox) -> None:
        rule = {"platform": "x", "op": "publish", "kind": "error", "code": "503", "remaining": 1}
        added = requests.post(control(sandbox, "faults"), json=rule, timeout=5)
        assert added.status_code == 201
        assert added.json()["id"] > 0 and added.json()["code"] == "503"
        assert tweet(sandbox, "første").status_code == 503
        assert tweet(sandbox, "anden").status_code == 201  # the rule was used up

    def test_it_lists_and_clears_rules(self, sandbox: RunningSandbox) -> None:
        requests.post(control(sandbox, "faults"), json={"kind": "latency"}, timeout=5)
        requests.post(control(sandbox, "latency"), json={"seconds": 0.01}, timeout=5)
        listed = requests.get(control(sandbox, "faults"), timeout=5).json()
        assert [r["kind"] for r in listed["rules"]] == ["latency"] and listed["latency"] == 0.01
        assert requests.delete(control(sandbox, "faults"), timeout=5).ok
        assert sandbox.faults.rules == [] and sandbox.faults.latency == 0.0

    def test_it_removes_one_rule_by_id(self, sandbox: RunningSandbox) -> None:
        first = sandbox.fault(platform="x", kind="expired_token")
        second = sandbox.fault(platform="facebook", kind="rate_limit")
        assert requests.delete(control(sandbox, f"faults/{first.id}"), timeout=5).ok
        assert [r.id for r in sandbox.faults.rules] == [second.id]
        assert requests.delete(control(sandbox, f"faults/{first.id}"), timeout=5).status_code == 404

    @pytest.mark.parametrize(
        "body",
        [{"kind": "explode"}, {"colour": "red"}, {"rate": 2}, {"remaining": -1},
         {"seconds": "long"}, ["not", "an", "object"]],
    )  # fmt: skip
    def test_it_refuses_a_malformed_rule(self, sandbox: RunningSandbox, body: Any) -> None:
        answer = requests.post(control(sandbox, "faults"), json=body, timeout=5)
        assert answer.status_code == 400 and answer.json()["error"]
        assert sandbox.faults.rules == []

    def test_it_refuses_a_negative_latency(self, sandbox: RunningSandbox) -> None:
        answer = requests.post(control(sandbox, "latency"), json={"seconds": -1}, timeout=5)
        assert answer.status_code == 400 and sandbox.faults.latency == 0.0


class TestClock:
    def metrics(self, sandbox: RunningSandbox, tweet_id: str) -> dict[str, int]:
        answer = requests.get(f"{sandbox.url('x')}/2/tweets/{tweet_id}",
                              params={"tweet.fields": "public_metrics"},
                              headers={"Authorization": "Bearer 77-token"}, timeout=5)
        return dict(answer.json()["data"]["public_metrics"])

    def test_a_held_clock_holds_insight_figures_still_until_released(
        self, sandbox: RunningSandbox
    ) -> None:
        tweet_id = tweet(sandbox, "Koncert").json()["data"]["id"]
        later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        try:
            held = requests.post(control(sandbox, "clock"), json={"at": later}, timeout=5)
            first = self.metrics(sandbox, tweet_id)
            assert held.ok and first["impression_count"] > 0
            assert self.metrics(sandbox, tweet_id) == first
        finally:
            released = requests.post(control(sandbox, "clock"), json={"at": None}, timeout=5)
        assert released.json() == {"at": None}
        assert self.metrics(sandbox, tweet_id)["impression_count"] < first["impression_count"]

    @pytest.mark.parametrize("body", [{"at": "tomorrow"}, {"at": "2026-11-28T10:00:00"}])
    def test_it_refuses_a_time_it_cannot_read(self, sandbox: RunningSandbox, body: Any) -> None:
        answer = requests.post(control(sandbox, "clock"), json=body, timeout=5)
        assert answer.status_code == 400 and answer.json()["error"]


class TestState:
    def test_it_counts_and_searches_items(self, sandbox: RunningSandbox) -> None:
        tweet(sandbox, "Koncert i Køge")
        tweet(sandbox, "Udstilling i Roskilde")
        everything = requests.get(control(sandbox, "state"), timeout=5).json()["platforms"]
        assert everything["x"]["tweets"]["count"] == 2
        found = requests.get(
            control(sandbox, "state"), params={"platform": "x", "q": "køge"}, timeout=5
        ).json()["platforms"]
        assert list(found) == ["x"]
        assert [t["raw_text"] for t in found["x"]["tweets"]["items"]] == ["Koncert i Køge"]
        assert found["x"]["tweets"]["total"] == 2

    def test_it_forgets_everything_on_reset(self, sandbox: RunningSandbox) -> None:
        tweet(sandbox, "Koncert")
        assert requests.post(control(sandbox, "reset"), timeout=5).ok
        assert requests.get(control(sandbox, "state"), timeout=5).json() == {"platforms": {}}
        assert tweet(sandbox, "Koncert").status_code == 201  # no duplicate after a reset


def test_a_dropped_connection_logs_no_traceback(
    sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.fault(platform="x", op="publish", kind="accept_then_drop", remaining=1)
    with caplog.at_level(logging.INFO), pytest.raises(requests.ConnectionError):
        tweet(sandbox, "Koncert")
    assert tweet(sandbox, "Næste").status_code == 201  # the server lives on
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


# --- the overview page --------------------------------------------------------------------------


class _Page(HTMLParser):
    """Collects the html lang, headings and table cells of the overview page."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.headings: list[tuple[str, str]] = []
        self.cells: list[str] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang") or ""
        if tag in ("h1", "h2", "td", "caption"):
            self._open = tag
            if tag == "td":
                self.cells.append("")
            else:
                self.headings.append((tag, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open == "td":
            self.cells[-1] += data
        elif self._open:
            tag, text = self.headings[-1]
            self.headings[-1] = (tag, text + data)


def _since() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=1)


def _x(sandbox: RunningSandbox) -> tuple[Adapter, Post]:
    account = Account("x", "Kulturregion", "77", X_OAUTH)
    return CHANNELS["x"](account, ChannelSettings(base_url=sandbox.url("x"))), Post(
        marker="ov-x", text="Oversigt X: koncert i Køge", created_after=_since()
    )


def _facebook(sandbox: RunningSandbox) -> tuple[Adapter, Post]:
    account = Account("facebook", "Kulturregion", "1234567890", {"access_token": "page-token"})
    settings = ChannelSettings(base_url=sandbox.url("facebook"))
    return CHANNELS["facebook"](account, settings), Post(
        marker="ov-fb", text="Oversigt Facebook: koncert i Køge", created_after=_since()
    )


def _instagram(sandbox: RunningSandbox) -> tuple[Adapter, Post]:
    account = Account("instagram", "Kulturregion", "17841405822304914", {"access_token": "t"})
    options = {"status_poll_interval": 0.01, "status_poll_attempts": 3}
    settings = ChannelSettings(base_url=sandbox.url("instagram"), options=options)
    image = MediaItem(url="https://media.example.org/ov.jpg", width=1080, height=1080)
    return CHANNELS["instagram"](account, settings), Post(
        marker="ov-ig", text="Oversigt Instagram: koncert i Køge", media=[image],
        created_after=_since(),
    )  # fmt: skip


def _website(sandbox: RunningSandbox) -> tuple[Adapter, Post]:
    account = Account("website", "Kulturmetropolen.dk", "redaktion",
                      {"application_password": "abcd efgh ijkl"})  # fmt: skip
    settings = ChannelSettings(base_url=sandbox.url("wordpress"))
    return CHANNELS["website"](account, settings), Post(
        marker="ov-wp", text="Oversigt website", title="Oversigt website: koncert i Køge",
        html="<p>Koncert</p>",
    )  # fmt: skip


def _newsletter(sandbox: RunningSandbox) -> tuple[Adapter, Post]:
    account = Account(
        "newsletter", "Kulturmetropolen", "a1b2c3d4e5",
        {"api_key": "0123456789abcdef0123456789abcdef-us6"},
        {"from_name": "Kulturmetropolen", "reply_to": "nyhedsbrev@kulturby.dk"},
    )  # fmt: skip
    adapter = CHANNELS["newsletter"](account, ChannelSettings(base_url=sandbox.url("mailchimp")))
    assert isinstance(adapter, NewsletterAdapter)
    adapter.sync_member("anne@kulturby.dk", "roskilde")
    return adapter, Post(
        marker="ov-mc", text="Sommerens koncerter.", title="Oversigt nyhedsbrev: koncert i Køge",
        created_after=_since(),
    )  # fmt: skip


SETUPS: dict[str, Callable[[Any], tuple[Adapter, Post]]] = {
    "x": _x, "facebook": _facebook, "instagram": _instagram, "website": _website,
    "newsletter": _newsletter,
}  # fmt: skip


def test_the_overview_lists_an_item_published_on_every_platform(
    sandbox: RunningSandbox,
) -> None:
    for name, setup in SETUPS.items():
        adapter, post = setup(sandbox)
        try:
            adapter.publish(post)
        except ChannelError as exc:  # say which platform failed, not just that one did
            pytest.fail(f"{name}: {exc}")
    answer = requests.get(sandbox.base_url + "/", timeout=5)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = _Page()
    page.feed(answer.text)
    assert page.lang == "da"
    assert [h for h in page.headings if h[0] == "h1"] == [("h1", 'Sandkasse: det er "udgivet"')]
    h2 = [text for tag, text in page.headings if tag == "h2"]
    assert h2 == ["Facebook", "Instagram", "Mailchimp", "WordPress", "X"]
    for text in ("Oversigt X", "Oversigt Facebook", "Oversigt Instagram", "Oversigt website",
                 "Oversigt nyhedsbrev"):  # fmt: skip
        assert [c for c in page.cells if text in c], f"{text!r} is not on the page"


def test_the_overview_escapes_what_it_shows(sandbox: RunningSandbox) -> None:
    tweet(sandbox, "Rock & rul <script>alert(1)</script>")
    body = requests.get(sandbox.base_url + "/", timeout=5).text
    assert "<script>" not in body
    assert "Rock &amp; rul &lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_the_overview_says_nothing_yet_when_empty(sandbox: RunningSandbox) -> None:
    body = requests.get(sandbox.base_url + "/", timeout=5).text
    assert body.count("Intet endnu.") == 5
    assert 'lang="en"' in body  # the English text follows the Danish


# --- the standalone runner -----------------------------------------------------------------------


def test_the_runner_serves_with_the_faults_it_was_given() -> None:
    from channels.sandbox.server import base_url, make_sandbox_server

    server = make_sandbox_server("127.0.0.1", 0, faults=["x:publish:error:503"], quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answer = requests.post(
            f"{base_url(server)}/x/2/tweets", json={"text": "hej"},
            headers={"Authorization": "Bearer t"}, timeout=5,
        )  # fmt: skip
        assert answer.status_code == 503
        assert answer.json()["title"] == "Service Unavailable"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("spec", ["x:publish", "x::error", ""])
def test_the_command_line_refuses_a_malformed_fault(spec: str) -> None:
    from channels.sandbox.__main__ import main

    with pytest.raises(SystemExit) as caught:
        main(["--port", "0", "--fault", spec])
    assert caught.value.code == 2


def test_the_runner_prints_the_settings_that_point_at_it() -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "channels.sandbox", "--port", "0", "--quiet"],
        cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().strip().partition("=")[::2] for _ in range(5))
        assert set(lines) == {
            "PUBLISHER_FACEBOOK_GRAPH_URL", "PUBLISHER_INSTAGRAM_GRAPH_URL",
            "PUBLISHER_MAILCHIMP_API_URL", "PUBLISHER_WORDPRESS_URL", "PUBLISHER_X_API_URL",
        }  # fmt: skip
        me = requests.get(
            f"{lines['PUBLISHER_X_API_URL']}/2/users/me",
            headers={"Authorization": "Bearer 99-t"}, timeout=5,
        )  # fmt: skip
        assert me.json()["data"]["id"] == "99"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
