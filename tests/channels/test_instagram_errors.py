"""Every Instagram error of platforms.md §3.5 becomes the right ChannelError (HTTP faked)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from channels.base import (
    Account,
    ChannelError,
    ChannelSettings,
    ErrorKind,
    MediaItem,
    Post,
    Published,
)
from channels.instagram import InstagramAdapter

GRAPH = "https://graph.facebook.com/v25.0"
IG = "17841400000000001"
CONTAINER = "1790000000000001"
R, P, U = ErrorKind.RETRYABLE, ErrorKind.PERMANENT, ErrorKind.UNKNOWN


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(f"{GRAPH}/{IG}/content_publishing_limit",
                 json={"data": [{"quota_usage": 3, "config": {"quota_total": 50,
                                                              "quota_duration": 86400}}]})
        rsps.get(f"{GRAPH}/{CONTAINER}", json={"id": CONTAINER, "status_code": "FINISHED"})
        yield rsps


def adapter(**options: Any) -> InstagramAdapter:
    account = Account("instagram", "Kulturregion", IG, {"access_token": "token"})
    settings = ChannelSettings(base_url="https://graph.facebook.com", timeout=3,
                               options={"status_poll_interval": 0.01, **options})
    return InstagramAdapter(account, settings, requests.Session())


def a_post() -> Post:
    return Post(marker="m", text="Koncert i Køge",
                media=[MediaItem(url="https://media.example.org/koncert.jpg")])


def graph_error(code: int, subcode: int | None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": "test", "type": "OAuthException", "code": code,
                             "error_user_title": "Titel", "error_user_msg": "Besked",
                             "fbtrace_id": "AbC"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def fail_at(mocked: responses.RequestsMock, stage: str, status: int, body: Any,
            post: Post | None = None, **options: Any) -> ChannelError:
    """Run a publish whose container creation or media_publish answers `body`."""
    ok = {"json": {"id": CONTAINER}}
    answer = {"status": status, "json": body}
    mocked.post(f"{GRAPH}/{IG}/media", **(answer if stage == "container" else ok))
    mocked.post(f"{GRAPH}/{IG}/media_publish", **(answer if stage == "publish" else ok))
    with pytest.raises(ChannelError) as caught:
        adapter(**options).publish(post or a_post())
    return caught.value


# (HTTP, code, subcode, call that fails, kind, reason) — one row per line of §3.5.
ROWS = [
    (400, -2, 2207003, "container", R, "media_unreachable"),
    (400, -2, 2207020, "publish", R, "media_processing"),
    (400, -1, 2207001, "container", R, "platform_unavailable"),
    (400, -1, 2207001, "publish", U, "outcome_unknown"),
    (400, -1, 2207032, "container", R, "media_processing"),
    (400, -1, 2207053, "container", R, "media_processing"),
    (400, 1, 2207057, "container", P, "invalid_media"),
    (400, 4, 2207051, "publish", P, "policy_block"),
    (400, 9, 2207042, "publish", R, "quota_exhausted"),
    (400, 9, 2207069, "container", R, "quota_exhausted"),
    (400, 24, 2207006, "container", R, "media_processing"),
    (400, 24, 2207008, "publish", R, "media_processing"),
    (400, 25, 2207050, "container", P, "account_restricted"),
    (400, 100, 2207023, "container", P, "invalid_media"),
    (400, 100, 2207028, "container", P, "invalid_content"),
    (400, 100, 2207035, "container", P, "invalid_content"),
    (400, 100, 2207036, "container", P, "invalid_content"),
    (400, 100, 2207037, "container", P, "invalid_content"),
    (400, 100, 2207040, "container", P, "invalid_content"),
    (400, 352, 2207026, "container", P, "invalid_media"),
    (400, 9004, 2207052, "container", P, "media_unreachable"),
    (400, 9007, 2207027, "publish", R, "media_processing"),
    (400, 36000, 2207004, "container", P, "invalid_media"),
    (400, 36001, 2207005, "container", P, "invalid_media"),
    (400, 36003, 2207009, "container", P, "invalid_media"),
    (400, 36004, 2207010, "container", P, "invalid_content"),
    (403, 200, None, "container", P, "permission_missing"),
    (400, 80002, None, "publish", R, "rate_limited"),
]


@pytest.mark.parametrize(("status", "code", "subcode", "stage", "kind", "reason"), ROWS)
def test_it_classifies_each_instagram_error(
    mocked: responses.RequestsMock, status: int, code: int, subcode: int | None, stage: str,
    kind: ErrorKind, reason: str,
) -> None:
    error = fail_at(mocked, stage, status, graph_error(code, subcode))

    assert (error.kind, error.reason) == (kind, reason)
    assert error.http_status == status


def test_it_can_read_2207001_as_spam_like_postiz(mocked: responses.RequestsMock) -> None:
    error = fail_at(mocked, "container", 400, graph_error(-1, 2207001),
                    treat_2207001_as_spam=True)

    assert (error.kind, error.reason) == (P, "policy_block")


@pytest.mark.parametrize(("code", "subcode"), [(-2, 2207020), (24, 2207008)])
def test_it_forgets_a_container_the_platform_no_longer_has(
    mocked: responses.RequestsMock, code: int, subcode: int
) -> None:
    post = a_post()

    fail_at(mocked, "publish", 400, graph_error(code, subcode), post)

    assert post.state["ig_container"] is None


def test_it_keeps_a_container_that_is_only_not_ready(mocked: responses.RequestsMock) -> None:
    post = a_post()

    fail_at(mocked, "publish", 400, graph_error(9007, 2207027), post)

    assert post.state["ig_container"] == CONTAINER


def test_it_reports_a_lost_media_publish_answer_as_unknown(
    mocked: responses.RequestsMock,
) -> None:
    mocked.post(f"{GRAPH}/{IG}/media", json={"id": CONTAINER})
    mocked.post(f"{GRAPH}/{IG}/media_publish", body=requests.ReadTimeout("timed out"))

    with pytest.raises(ChannelError) as caught:
        adapter().publish(a_post())

    assert (caught.value.kind, caught.value.reason) == (U, "outcome_unknown")


def test_it_retries_a_lost_container_answer(mocked: responses.RequestsMock) -> None:
    mocked.post(f"{GRAPH}/{IG}/media", body=requests.ReadTimeout("timed out"))

    with pytest.raises(ChannelError) as caught:
        adapter().publish(a_post())

    # A container is invisible until published, so creating another is harmless.
    assert (caught.value.kind, caught.value.reason) == (R, "platform_unavailable")


def test_it_reports_too_few_viewers_for_insights_as_permanent(
    mocked: responses.RequestsMock,
) -> None:
    mocked.get(f"{GRAPH}/555/insights", status=400, json=graph_error(10, None))

    with pytest.raises(ChannelError) as caught:
        adapter().fetch_metrics(Published("555"))

    assert (caught.value.kind, caught.value.reason) == (P, "permission_missing")


def test_it_waits_for_the_quota_instead_of_creating_containers(
    mocked: responses.RequestsMock,
) -> None:
    mocked.replace(responses.GET, f"{GRAPH}/{IG}/content_publishing_limit",
                   json={"data": [{"quota_usage": 50, "config": {"quota_total": 50,
                                                                 "quota_duration": 86400}}]})
    mocked.get(f"{GRAPH}/{IG}/media", json={"data": []})
    create = mocked.post(f"{GRAPH}/{IG}/media", json={"id": CONTAINER})

    with pytest.raises(ChannelError) as caught:
        adapter().publish(a_post())

    assert (caught.value.kind, caught.value.reason) == (R, "quota_exhausted")
    assert caught.value.retry_after == 3600  # no post found in the window: an hour
    assert create.call_count == 0
