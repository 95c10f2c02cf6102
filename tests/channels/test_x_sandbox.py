"""The X adapter drives real tweepy over real HTTP against the sandbox (platforms.md §6, §7)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests

from channels.base import (
    Account,
    ChannelError,
    ChannelSettings,
    ErrorKind,
    MediaItem,
    Post,
    Published,
)
from channels.x import XAdapter

if TYPE_CHECKING:
    from tests.sandbox_fixtures import RunningSandbox

USER = "4242"
OAUTH1 = {
    "consumer_key": "ck",
    "consumer_secret": "cs",
    "access_token": f"{USER}-access",
    "access_token_secret": "ats",
}


def adapter(
    sandbox: RunningSandbox, timeout: float = 3.0, credentials: dict[str, str] | None = None
) -> XAdapter:
    account = Account("x", "Kulturregion", USER, OAUTH1 if credentials is None else credentials)
    settings = ChannelSettings(base_url=sandbox.url("x"), timeout=timeout)
    return XAdapter(account, settings, requests.Session())


def tweets(sandbox: RunningSandbox) -> list[dict]:
    return list(sandbox.store.collection("x", "tweets").values())


def post(text: str, **kwargs: object) -> Post:
    since = datetime.now(UTC) - timedelta(seconds=5)
    return Post(marker="d1", text=text, created_after=since, **kwargs)  # type: ignore[arg-type]


def image(tmp_path: Path, name: str = "plakat.jpg") -> MediaItem:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 2048)
    return MediaItem(url=f"http://127.0.0.1/{name}", path=str(path), size_bytes=2052)


def test_it_publishes_a_text_post(sandbox: RunningSandbox) -> None:
    item = post("Koncert i Køge på lørdag & søndag")
    published = adapter(sandbox).publish(item)
    [stored] = tweets(sandbox)
    assert stored["id"] == published.external_id == item.state["tweet_id"]
    assert stored["author_id"] == USER
    assert stored["text"] == "Koncert i Køge på lørdag &amp; søndag"  # X escapes &, < and >
    assert published.url == f"https://x.com/i/web/status/{published.external_id}"


def test_it_publishes_with_a_bearer_user_token(sandbox: RunningSandbox) -> None:
    x = adapter(sandbox, credentials={"bearer_token": f"{USER}-oauth2-user-token"})
    published = x.publish(post("Udstilling i Roskilde"))
    assert x.test_connection() == f"@user{USER} ({USER})"
    assert tweets(sandbox)[0]["id"] == published.external_id


def test_it_publishes_with_an_image_and_remembers_the_media_id(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    item = post("Ny plakat", media=[image(tmp_path)])
    published = adapter(sandbox).publish(item)
    [uploaded] = sandbox.store.collection("x", "media").values()
    [stored] = tweets(sandbox)
    assert item.state["media_ids"] == [uploaded["id"]] == stored["media_ids"]
    assert uploaded["media_category"] == "tweet_image"
    assert stored["id"] == published.external_id
    assert stored["entities"]["urls"][-1]["media_key"] == f"3_{uploaded['id']}"


def test_it_resumes_without_uploading_an_image_again(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    item = post("To billeder", media=[image(tmp_path, "a.jpg"), image(tmp_path, "b.jpg")])
    # The first upload meets a zero-second delay (it passes); the second meets a 503.
    sandbox.fault(platform="x", op="upload", kind="latency", seconds=0, remaining=1)
    sandbox.fault(platform="x", op="upload", kind="error", code="503", remaining=1)
    with pytest.raises(ChannelError) as caught:
        adapter(sandbox).publish(item)
    assert caught.value.kind is ErrorKind.RETRYABLE
    assert len(item.state["media_ids"]) == 1
    adapter(sandbox).publish(item)
    assert len(sandbox.store.collection("x", "media")) == 2
    assert tweets(sandbox)[0]["media_ids"] == item.state["media_ids"]


@pytest.mark.parametrize("kind", ["accept_then_timeout", "accept_then_drop", "accept_then_500"])
def test_it_finds_a_post_whose_answer_was_lost_instead_of_posting_twice(
    sandbox: RunningSandbox, kind: str
) -> None:
    text = "Koncert i Køge & Roskilde: https://kultur.dk/koncert?id=7 og kultur.dk"
    item = post(text)
    sandbox.fault(platform="x", op="publish", kind=kind, seconds=1.5, remaining=1)
    x = adapter(sandbox, timeout=0.5)
    with pytest.raises(ChannelError) as caught:
        x.publish(item)
    assert (caught.value.kind, caught.value.reason) == (ErrorKind.UNKNOWN, "outcome_unknown")
    found = x.find_existing(post(text))  # a fresh post: no state from the failed attempt
    [stored] = tweets(sandbox)
    assert found is not None and found.external_id == stored["id"]
    assert "https://t.co/" in stored["text"]  # matched through entities.urls[].expanded_url


def test_it_finds_a_post_with_an_image_despite_the_media_link(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    published = adapter(sandbox).publish(post("Ny plakat <3", media=[image(tmp_path)]))
    found = adapter(sandbox).find_existing(post("Ny plakat <3", media=[image(tmp_path)]))
    assert found is not None and found.external_id == published.external_id


def test_it_reports_surely_absent_when_nothing_matches(sandbox: RunningSandbox) -> None:
    x = adapter(sandbox)
    x.publish(post("Et andet opslag"))
    assert x.find_existing(post("Koncert i Køge")) is None


def test_it_asks_who_it_is_when_the_account_has_no_user_id(sandbox: RunningSandbox) -> None:
    adapter(sandbox).publish(post("Koncert i Køge"))
    account = Account("x", "Kulturregion", "", OAUTH1)
    x = XAdapter(account, ChannelSettings(base_url=sandbox.url("x"), timeout=3))
    found = x.find_existing(post("Koncert i Køge"))
    assert found is not None and found.external_id == tweets(sandbox)[0]["id"]


def test_it_ignores_matching_posts_from_before_the_window(sandbox: RunningSandbox) -> None:
    x = adapter(sandbox)
    x.publish(post("Koncert i Køge"))
    tweets(sandbox)[0]["created_ts"] -= 3600
    assert x.find_existing(post("Koncert i Køge")) is None


def test_it_marks_a_duplicate_permanent(sandbox: RunningSandbox) -> None:
    x = adapter(sandbox)
    x.publish(post("Samme tekst"))
    with pytest.raises(ChannelError) as caught:
        x.publish(post("Samme tekst"))
    assert (caught.value.kind, caught.value.reason) == (ErrorKind.PERMANENT, "duplicate")
    assert len(tweets(sandbox)) == 1


def test_it_marks_a_rate_limit_retryable_with_the_reset(sandbox: RunningSandbox) -> None:
    sandbox.fault(platform="x", op="publish", kind="rate_limit", seconds=2, remaining=1)
    with pytest.raises(ChannelError) as caught:
        adapter(sandbox).publish(post("Koncert"))
    error = caught.value
    assert (error.kind, error.reason) == (ErrorKind.RETRYABLE, "rate_limited")
    assert error.retry_after is not None and 0 < error.retry_after <= 3
    assert tweets(sandbox) == []


def test_it_marks_a_spent_daily_cap_as_quota(sandbox: RunningSandbox) -> None:
    sandbox.fault(platform="x", op="publish", kind="error", code="24h", seconds=3, remaining=1)
    with pytest.raises(ChannelError) as caught:
        adapter(sandbox).publish(post("Koncert"))
    assert (caught.value.kind, caught.value.reason) == (ErrorKind.RETRYABLE, "quota_exhausted")
    assert caught.value.retry_after is not None and 0 < caught.value.retry_after <= 4


def test_it_marks_expired_token_permanent(sandbox: RunningSandbox) -> None:
    sandbox.fault(platform="x", op="*", kind="expired_token")
    with pytest.raises(ChannelError) as caught:
        adapter(sandbox).publish(post("Koncert"))
    assert (caught.value.kind, caught.value.reason) == (ErrorKind.PERMANENT, "token_invalid")


def test_it_marks_a_refused_connection_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before use: nothing listens there
    account = Account("x", "Kulturregion", USER, OAUTH1)
    settings = ChannelSettings(base_url=f"http://127.0.0.1:{port}/x", timeout=1)
    with pytest.raises(ChannelError) as caught:
        XAdapter(account, settings, requests.Session()).publish(post("Koncert"))
    assert caught.value.kind is ErrorKind.RETRYABLE


def test_it_fetches_metrics_that_grow_over_time(sandbox: RunningSandbox) -> None:
    x = adapter(sandbox)
    published = x.publish(post("Koncert"))
    early = x.fetch_metrics(published)
    tweets(sandbox)[0]["created_ts"] -= 24 * 3600  # a day later
    later = x.fetch_metrics(published)
    assert later.normalised["views"] > early.normalised["views"] >= 0
    assert later.normalised["engagements"] > early.normalised["engagements"]
    assert later.raw["impression_count"] == later.normalised["views"]


def test_it_reports_metrics_of_a_deleted_post_as_not_found(sandbox: RunningSandbox) -> None:
    x = adapter(sandbox)
    published = x.publish(post("Koncert"))
    assert x.client is not None
    x.client.delete_tweet(published.external_id)
    with pytest.raises(ChannelError) as caught:
        x.fetch_metrics(Published(published.external_id))
    assert caught.value.reason == "not_found"


def test_the_sandbox_refuses_a_call_without_credentials(sandbox: RunningSandbox) -> None:
    answer = requests.post(f"{sandbox.url('x')}/2/tweets", json={"text": "hej"}, timeout=3)
    assert answer.status_code == 401
    assert answer.json() == {
        "title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized",
    }  # fmt: skip


def test_the_sandbox_answers_a_create_like_x(sandbox: RunningSandbox) -> None:
    answer = requests.post(
        f"{sandbox.url('x')}/2/tweets", json={"text": "hej"},
        headers={"Authorization": "Bearer token"}, timeout=3,
    )  # fmt: skip
    data = answer.json()["data"]
    assert answer.status_code == 201
    assert data == {"id": data["id"], "text": "hej", "edit_history_tweet_ids": [data["id"]]}
    assert answer.headers["location"] == f"https://api.twitter.com/2/tweets/{data['id']}"
    assert int(answer.headers["x-rate-limit-limit"]) == 200
    assert int(answer.headers["x-rate-limit-remaining"]) < 200
    assert int(answer.headers["x-rate-limit-reset"]) > datetime.now(UTC).timestamp()


class TestValidation:
    def test_it_accepts_exactly_280_weighted_characters(self, sandbox: RunningSandbox) -> None:
        assert adapter(sandbox).validate(post("a" * 256 + " https://kultur.dk/x")) == []

    def test_it_refuses_281_weighted_characters(self, sandbox: RunningSandbox) -> None:
        [problem] = adapter(sandbox).validate(post("中" * 140 + "a"))
        assert (problem.field, problem.code) == ("text", "too_long")
        assert "281" in problem.message("da") and "280" in problem.message("en")

    def test_it_counts_a_long_link_as_23(self, sandbox: RunningSandbox) -> None:
        text = "a" * 256 + " https://kultur.dk/" + "x" * 200
        assert adapter(sandbox).validate(post(text)) == []

    def test_it_counts_the_appended_link(self, sandbox: RunningSandbox) -> None:
        item = post("a" * 256, link="https://kultur.dk/arrangement")
        assert [p.code for p in adapter(sandbox).validate(item)] == ["too_long"]

    def test_it_honours_a_longer_limit_for_premium_accounts(self) -> None:
        account = Account("x", "Premium", USER, OAUTH1, options={"max_weighted_length": 4000})
        x = XAdapter(account, ChannelSettings(base_url="http://127.0.0.1:9/x"))
        assert x.validate(post("a" * 1000)) == []

    def test_it_refuses_a_fifth_image(self, sandbox: RunningSandbox, tmp_path: Path) -> None:
        item = post("Fem", media=[image(tmp_path, f"{i}.jpg") for i in range(5)])
        assert [p.code for p in adapter(sandbox).validate(item)] == ["too_many_images"]

    def test_it_refuses_a_large_or_unsupported_image(self, sandbox: RunningSandbox) -> None:
        big = MediaItem(url="http://h/a.jpg", size_bytes=5 * 1024 * 1024 + 1)
        pdf = MediaItem(url="http://h/a.pdf", mime_type="application/pdf", size_bytes=10)
        problems = adapter(sandbox).validate(post("To", media=[big, pdf]))
        assert [(p.field, p.code) for p in problems] == [
            ("media[0]", "too_large"), ("media[1]", "unsupported_type"),
        ]  # fmt: skip

    def test_it_says_x_is_not_configured(self, sandbox: RunningSandbox) -> None:
        x = adapter(sandbox, credentials={})
        [problem] = x.validate(post("Koncert"))
        assert problem.message("en") == "X is not configured."
        with pytest.raises(ChannelError) as caught:
            x.publish(post("Koncert"))
        assert (caught.value.kind, caught.value.reason) == (ErrorKind.PERMANENT, "misconfigured")
        assert tweets(sandbox) == []
