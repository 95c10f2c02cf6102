"""The Instagram adapter, through real facebook-sdk over HTTP, against the sandbox account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from channels.base import Account, ChannelError, ChannelSettings, ErrorKind, MediaItem, Post
from channels.instagram import InstagramAdapter
from channels.sandbox import instagram as sandbox_instagram

IG = "17841405822304914"


def make_adapter(sandbox: Any, timeout: float = 5.0, **options: Any) -> InstagramAdapter:
    account = Account("instagram", "Kulturregion", IG, {"access_token": "page-token"})
    options = {"status_poll_interval": 0.01, "status_poll_attempts": 3, **options}
    settings = ChannelSettings(base_url=sandbox.url("instagram"), timeout=timeout,
                               options=options)
    return InstagramAdapter(account, settings, requests.Session())


def image(name: str) -> MediaItem:
    return MediaItem(url=f"https://media.example.org/{name}.jpg", width=1080, height=1080)


def make_post(text: str = "Koncert i Køge #kultur", images: int = 1) -> Post:
    return Post(marker="d1-instagram", text=text, media=[image(f"i{n}") for n in range(images)],
                created_after=datetime.now(UTC) - timedelta(minutes=1))


def media(sandbox: Any) -> list[dict[str, Any]]:
    return list(sandbox.store.collection("instagram", "media").values())


def containers(sandbox: Any) -> dict[str, dict[str, Any]]:
    return sandbox.store.collection("instagram", "containers")


def api(sandbox: Any, method: str, path: str, **params: Any) -> requests.Response:
    params["access_token"] = "page-token"
    url = f"{sandbox.url('instagram')}/v25.0/{path}"
    if method == "GET":
        return requests.get(url, params=params, timeout=5)
    return requests.post(url, data=params, timeout=5)


def test_it_publishes_a_single_image(sandbox: Any) -> None:
    post = make_post()

    published = make_adapter(sandbox).publish(post)

    [stored] = media(sandbox)
    assert stored["id"] == published.external_id == post.state["ig_media_id"]
    assert stored["caption"] == "Koncert i Køge #kultur" and stored["media_type"] == "IMAGE"
    assert published.url == f"{sandbox.base_url}/view/instagram/{stored['shortcode']}"
    page = requests.get(published.url, timeout=5)
    assert page.status_code == 200 and "Koncert i Køge #kultur" in page.text
    assert containers(sandbox)[post.state["ig_container"]]["media_id"] == stored["id"]


def test_it_publishes_a_carousel_from_child_containers(sandbox: Any) -> None:
    post = make_post(images=3)

    make_adapter(sandbox).publish(post)

    [stored] = media(sandbox)
    parent = containers(sandbox)[post.state["ig_container"]]
    assert stored["media_type"] == "CAROUSEL_ALBUM"
    assert parent["children"] == post.state["ig_children"]
    assert [containers(sandbox)[c]["image_url"] for c in parent["children"]] == [
        f"https://media.example.org/i{n}.jpg" for n in range(3)
    ]


def test_it_resumes_the_carousel_from_remembered_children(sandbox: Any) -> None:
    sandbox.fault(platform="instagram", op="upload", kind="latency", remaining=2)
    sandbox.fault(platform="instagram", op="upload", kind="error", code="2", remaining=1)
    adapter, post = make_adapter(sandbox), make_post(images=2)
    with pytest.raises(ChannelError) as caught:
        adapter.publish(post)
    assert caught.value.kind is ErrorKind.RETRYABLE
    children = list(post.state["ig_children"])

    adapter.publish(post)

    assert len(containers(sandbox)) == 3  # two children, one carousel: nothing made twice
    assert containers(sandbox)[post.state["ig_container"]]["children"] == children


def test_it_leaves_a_slow_container_for_later_and_resumes_it(sandbox: Any) -> None:
    sandbox_instagram.configure(sandbox.store, polls_to_finish=10)
    adapter, post = make_adapter(sandbox), make_post()
    with pytest.raises(ChannelError) as caught:
        adapter.publish(post)
    assert (caught.value.kind, caught.value.reason) == (ErrorKind.RETRYABLE, "media_processing")

    sandbox_instagram.configure(sandbox.store, polls_to_finish=0)
    adapter.publish(post)

    assert len(containers(sandbox)) == 1 and len(media(sandbox)) == 1


def test_it_finds_media_whose_publish_answer_was_lost_and_does_not_publish_twice(
    sandbox: Any,
) -> None:
    sandbox.fault(platform="instagram", op="publish", kind="accept_then_timeout", seconds=1.5,
                  remaining=1)
    adapter, post = make_adapter(sandbox, timeout=0.5), make_post()
    with pytest.raises(ChannelError) as caught:
        adapter.publish(post)
    assert caught.value.kind is ErrorKind.UNKNOWN
    container = post.state["ig_container"]

    found = adapter.find_existing(post)
    # A restart that lost everything but the container id must not publish it again either.
    restarted = Post(marker=post.marker, text=post.text, media=post.media,
                     created_after=post.created_after, state={"ig_container": container})
    again = adapter.publish(restarted)

    [stored] = media(sandbox)  # the sandbox would make a second media if asked (worst case)
    assert found is not None and found.external_id == stored["id"]
    assert again.external_id == stored["id"]


def test_it_recreates_an_expired_remembered_container(sandbox: Any) -> None:
    adapter, post = make_adapter(sandbox), make_post()
    sandbox_instagram.configure(sandbox.store, polls_to_finish=10)
    with pytest.raises(ChannelError):
        adapter.publish(post)
    old = post.state["ig_container"]
    containers(sandbox)[old]["created_ts"] -= 25 * 3600
    sandbox_instagram.configure(sandbox.store, polls_to_finish=0)

    adapter.publish(post)

    assert post.state["ig_container"] != old and len(containers(sandbox)) == 2
    assert len(media(sandbox)) == 1


@pytest.mark.parametrize(("code", "kind", "reason"), [
    ("ERROR", ErrorKind.PERMANENT, "media_failed"),
    ("ERROR/2207003", ErrorKind.RETRYABLE, "media_unreachable"),
    ("EXPIRED", ErrorKind.RETRYABLE, "media_processing"),
])
def test_it_forgets_a_container_that_failed_on_the_platform(
    sandbox: Any, code: str, kind: ErrorKind, reason: str
) -> None:
    sandbox.fault(platform="instagram", op="upload", kind="error", code=code, remaining=1)
    adapter, post = make_adapter(sandbox), make_post()

    with pytest.raises(ChannelError) as caught:
        adapter.publish(post)

    assert (caught.value.kind, caught.value.reason) == (kind, reason)
    assert post.state["ig_container"] is None
    adapter.publish(post)  # the next attempt starts with a fresh container
    assert len(media(sandbox)) == 1


def test_it_waits_for_the_daily_quota_until_the_oldest_post_ages_out(sandbox: Any) -> None:
    sandbox_instagram.configure(sandbox.store, quota_total=1)
    adapter = make_adapter(sandbox)
    adapter.publish(make_post("Første"))

    with pytest.raises(ChannelError) as caught:
        adapter.publish(make_post("Anden"))

    assert (caught.value.kind, caught.value.reason) == (ErrorKind.RETRYABLE, "quota_exhausted")
    assert 86000 < (caught.value.retry_after or 0) <= 86400
    assert len(containers(sandbox)) == 1


def test_the_sandbox_refuses_media_publish_over_quota(sandbox: Any) -> None:
    sandbox_instagram.configure(sandbox.store, quota_total=1, polls_to_finish=0)
    first, second = (api(sandbox, "POST", f"{IG}/media", image_url=f"https://e.org/{n}.jpg")
                     .json()["id"] for n in range(2))
    assert api(sandbox, "POST", f"{IG}/media_publish", creation_id=first).status_code == 200

    refused = api(sandbox, "POST", f"{IG}/media_publish", creation_id=second).json()["error"]
    limit = api(sandbox, "GET", f"{IG}/content_publishing_limit",
                fields="quota_usage,config").json()

    assert (refused["code"], refused["error_subcode"]) == (9, 2207042)
    assert limit == {"data": [{"quota_usage": 1,
                               "config": {"quota_total": 1, "quota_duration": 86400}}]}


def test_the_sandbox_finishes_a_container_after_the_configured_polls(sandbox: Any) -> None:
    sandbox_instagram.configure(sandbox.store, polls_to_finish=2)
    container = api(sandbox, "POST", f"{IG}/media", image_url="https://e.org/a.jpg").json()["id"]

    early = api(sandbox, "POST", f"{IG}/media_publish", creation_id=container).json()["error"]
    seen = [api(sandbox, "GET", container, fields="status_code").json()["status_code"]
            for _ in range(3)]

    assert (early["code"], early["error_subcode"]) == (9007, 2207027)
    assert seen == ["IN_PROGRESS", "IN_PROGRESS", "FINISHED"]


def test_the_sandbox_lists_media_since_a_time(sandbox: Any) -> None:
    make_adapter(sandbox).publish(make_post())
    since = int(datetime.now(UTC).timestamp()) + 60

    everything = api(sandbox, "GET", f"{IG}/media", fields="id,caption").json()["data"]
    nothing = api(sandbox, "GET", f"{IG}/media", since=since).json()["data"]

    assert [m["caption"] for m in everything] == ["Koncert i Køge #kultur"] and nothing == []


def test_it_waits_as_long_as_the_usage_header_says_when_rate_limited(sandbox: Any) -> None:
    sandbox.fault(platform="instagram", op="read", kind="rate_limit", seconds=300)

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).publish(make_post())

    assert (caught.value.reason, caught.value.platform_code) == ("rate_limited", "80002")
    assert caught.value.retry_after == 300


def test_it_marks_expired_token_permanent(sandbox: Any) -> None:
    sandbox.fault(platform="instagram", kind="expired_token")

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).test_connection()

    assert (caught.value.kind, caught.value.reason) == (ErrorKind.PERMANENT, "token_expired")


def test_metrics_grow_as_time_passes(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    published = adapter.publish(make_post())
    early = adapter.fetch_metrics(published)

    sandbox.store.collection("instagram", "media")[published.external_id]["ts"] -= 7200
    later = adapter.fetch_metrics(published)

    for key in ("reach", "views", "likes", "engagements"):
        assert later.normalised[key] > early.normalised[key], key


def test_the_sandbox_refuses_retired_media_metrics(sandbox: Any) -> None:
    published = make_adapter(sandbox).publish(make_post())

    answer = api(sandbox, "GET", f"{published.external_id}/insights", metric="impressions")

    assert answer.status_code == 400 and answer.json()["error"]["code"] == 100


def test_it_describes_the_account_when_testing_the_connection(sandbox: Any) -> None:
    assert make_adapter(sandbox).test_connection() == f"@sandkasse_{IG} ({IG})"
