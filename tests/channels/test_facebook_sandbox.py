"""The Facebook adapter, through real facebook-sdk over HTTP, against the sandbox Page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import facebook
import pytest
import requests
from requests.adapters import HTTPAdapter

from channels.base import Account, ChannelError, ChannelSettings, ErrorKind, MediaItem, Post
from channels.facebook import FacebookAdapter
from channels.sandbox import facebook as sandbox_facebook

PAGE = "1029384756"


def make_adapter(sandbox: Any, timeout: float = 5.0) -> FacebookAdapter:
    account = Account("facebook", "Kulturregion", PAGE, {"access_token": "page-token"})
    settings = ChannelSettings(base_url=sandbox.url("facebook"), timeout=timeout)
    return FacebookAdapter(account, settings, requests.Session())


def make_post(text: str = "Koncert i Køge på lørdag", **kwargs: Any) -> Post:
    return Post(marker="d1-facebook", text=text,
                created_after=datetime.now(UTC) - timedelta(minutes=1), **kwargs)


def photo(name: str) -> MediaItem:
    return MediaItem(url=f"https://media.example.org/{name}.jpg", width=1200, height=900)


def posts(sandbox: Any, published: bool | None = None) -> list[dict[str, Any]]:
    found = list(sandbox.store.collection("facebook", "posts").values())
    return [p for p in found if published is None or p["is_published"] == published]


class ToSandbox(HTTPAdapter):
    """Send a bare facebook-sdk client's graph.facebook.com calls to the sandbox."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        request.url = str(request.url).replace("https://graph.facebook.com", self.base, 1)
        return super().send(request, *args, **kwargs)


def graph(sandbox: Any) -> facebook.GraphAPI:
    """A bare facebook-sdk client on the sandbox, for checking the sandbox's own answers."""
    session = requests.Session()
    session.mount("https://graph.facebook.com/", ToSandbox(sandbox.url("facebook")))
    return facebook.GraphAPI("page-token", timeout=5, session=session)


def test_it_publishes_a_text_post_in_two_phases(sandbox: Any) -> None:
    post = make_post()

    published = make_adapter(sandbox).publish(post)

    [stored] = posts(sandbox)
    assert stored["id"] == published.external_id == post.state["post_id"]
    assert stored["is_published"] and stored["message"] == "Koncert i Køge på lørdag"
    assert published.url == f"{sandbox.base_url}/view/facebook/{stored['id']}"


def test_the_permalink_leads_to_the_sandboxs_own_page_of_the_post(sandbox: Any) -> None:
    published = make_adapter(sandbox).publish(make_post(link="https://kulturby.dk/koncert"))

    page = requests.get(str(published.url), timeout=5)

    assert page.status_code == 200 and "Koncert i Køge på lørdag" in page.text
    assert 'href="https://kulturby.dk/koncert"' in page.text


def test_it_publishes_a_link_post(sandbox: Any) -> None:
    make_adapter(sandbox).publish(make_post(link="https://kulturregion.dk/koncert"))

    [stored] = posts(sandbox, published=True)
    assert stored["link"] == "https://kulturregion.dk/koncert"


def test_it_publishes_a_single_photo_as_an_attached_unpublished_photo(sandbox: Any) -> None:
    post = make_post(media=[photo("scene")])

    make_adapter(sandbox).publish(post)

    [stored] = posts(sandbox, published=True)
    photos = sandbox.store.collection("facebook", "photos")
    assert stored["attached_media"] == post.state["photo_ids"]
    assert photos[post.state["photo_ids"][0]]["url"] == "https://media.example.org/scene.jpg"


def test_it_publishes_several_photos_in_order(sandbox: Any) -> None:
    post = make_post(media=[photo("a"), photo("b"), photo("c")])

    make_adapter(sandbox).publish(post)

    [stored] = posts(sandbox, published=True)
    photos = sandbox.store.collection("facebook", "photos")
    assert [photos[i]["url"].rsplit("/", 1)[1] for i in stored["attached_media"]] == [
        "a.jpg", "b.jpg", "c.jpg"
    ]


def test_it_does_not_double_a_post_whose_go_live_answer_was_lost(sandbox: Any) -> None:
    sandbox.fault(platform="facebook", op="publish", kind="latency", remaining=1)  # the create
    sandbox.fault(platform="facebook", op="publish", kind="accept_then_timeout", seconds=1.5,
                  remaining=1)  # the go-live step
    adapter, post = make_adapter(sandbox, timeout=0.5), make_post()

    with pytest.raises(ChannelError) as caught:
        adapter.publish(post)
    assert caught.value.kind is ErrorKind.UNKNOWN

    found = adapter.find_existing(post)
    again = adapter.publish(post)

    assert found is not None and found.external_id == post.state["post_id"]
    assert again.external_id == found.external_id
    assert len(posts(sandbox)) == 1


def test_it_recreates_a_post_whose_create_answer_was_lost_without_showing_it_twice(
    sandbox: Any,
) -> None:
    sandbox.fault(platform="facebook", op="publish", kind="accept_then_timeout", seconds=1.5,
                  remaining=1)
    adapter, post = make_adapter(sandbox, timeout=0.5), make_post()
    with pytest.raises(ChannelError) as caught:
        adapter.publish(post)
    assert caught.value.kind is ErrorKind.UNKNOWN

    # Meta's /feed does not list unpublished posts: the lost one is invisible, so "absent".
    assert adapter.find_existing(post) is None
    adapter.publish(post)

    assert len(posts(sandbox, published=True)) == 1
    assert len(posts(sandbox, published=False)) == 1  # the invisible leftover


def test_it_adopts_a_lost_unpublished_post_when_the_feed_lists_it(sandbox: Any) -> None:
    sandbox_facebook.configure(sandbox.store, feed_includes_unpublished=True)
    sandbox.fault(platform="facebook", op="publish", kind="accept_then_drop", remaining=1)
    adapter, post = make_adapter(sandbox), make_post()
    with pytest.raises(ChannelError) as caught:
        adapter.publish(post)
    assert caught.value.kind is ErrorKind.UNKNOWN

    assert adapter.find_existing(post) is None  # found, not live yet: remembered for publish
    adapter.publish(post)

    [stored] = posts(sandbox)
    assert stored["is_published"] and stored["id"] == post.state["post_id"]


def test_it_reads_meta_code_1_after_a_committed_create_as_unknown(sandbox: Any) -> None:
    sandbox.fault(platform="facebook", op="publish", kind="accept_then_500", remaining=1)

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).publish(make_post())

    assert (caught.value.kind, caught.value.platform_code) == (ErrorKind.UNKNOWN, "1")
    assert len(posts(sandbox)) == 1


def test_it_resumes_without_uploading_photos_again(sandbox: Any) -> None:
    sandbox.fault(platform="facebook", op="publish", kind="error", code="2", remaining=1)
    adapter, post = make_adapter(sandbox), make_post(media=[photo("a"), photo("b")])
    with pytest.raises(ChannelError):
        adapter.publish(post)
    uploaded = list(post.state["photo_ids"])

    adapter.publish(post)

    assert len(sandbox.store.collection("facebook", "photos")) == 2
    [stored] = posts(sandbox, published=True)
    assert stored["attached_media"] == uploaded


def test_it_finds_nothing_when_the_page_has_no_such_post(sandbox: Any) -> None:
    make_adapter(sandbox).publish(make_post("Et andet opslag"))

    assert make_adapter(sandbox).find_existing(make_post()) is None


def test_it_marks_expired_token_permanent(sandbox: Any) -> None:
    sandbox.fault(platform="facebook", op="publish", kind="expired_token")

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).publish(make_post())

    assert (caught.value.kind, caught.value.reason) == (ErrorKind.PERMANENT, "token_expired")
    assert posts(sandbox) == []


def test_it_waits_as_long_as_the_usage_header_says_when_rate_limited(sandbox: Any) -> None:
    sandbox.fault(platform="facebook", op="publish", kind="rate_limit", seconds=600)

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).publish(make_post())

    assert (caught.value.kind, caught.value.reason) == (ErrorKind.RETRYABLE, "rate_limited")
    assert caught.value.retry_after == 600


def test_it_passes_on_an_injected_graph_error(sandbox: Any) -> None:
    sandbox.fault(platform="facebook", op="publish", kind="error", code="368")

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).publish(make_post())

    assert (caught.value.kind, caught.value.reason) == (ErrorKind.PERMANENT, "policy_block")


def test_it_refuses_the_same_message_twice_in_a_row(sandbox: Any) -> None:
    make_adapter(sandbox).publish(make_post())

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).publish(make_post())

    assert (caught.value.reason, caught.value.platform_code) == ("duplicate", "506")


def test_metrics_grow_as_time_passes(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    published = adapter.publish(make_post(link="https://kulturregion.dk"))
    early = adapter.fetch_metrics(published)

    sandbox.store.collection("facebook", "posts")[published.external_id]["published_ts"] -= 7200
    later = adapter.fetch_metrics(published)

    for key in ("reach", "views", "engagements", "clicks"):
        assert later.normalised[key] > early.normalised[key], key
    assert later.normalised["engagements"] == sum(
        later.raw["post_reactions_by_type_total"].values()
    )


def test_it_describes_the_page_when_testing_the_connection(sandbox: Any) -> None:
    assert make_adapter(sandbox).test_connection() == f"Sandkasse-side {PAGE} ({PAGE})"


# --- the sandbox's own contract, checked with a bare facebook-sdk client ------------------


def test_the_sandbox_refuses_retired_insights_metrics(sandbox: Any) -> None:
    published = make_adapter(sandbox).publish(make_post())

    with pytest.raises(facebook.GraphAPIError) as caught:
        graph(sandbox).request(f"v25.0/{published.external_id}/insights",
                               args={"metric": "post_impressions"})

    assert caught.value.code == 100
    assert "valid insights metric" in caught.value.message


def test_the_sandbox_lists_scheduled_posts_and_refuses_too_soon(sandbox: Any) -> None:
    api = graph(sandbox)
    soon, later = datetime.now(UTC) + timedelta(minutes=5), datetime.now(UTC) + timedelta(days=2)
    with pytest.raises(facebook.GraphAPIError) as caught:
        api.request(f"v25.0/{PAGE}/feed", post_args={
            "message": "For tidligt", "published": "false",
            "scheduled_publish_time": str(int(soon.timestamp()))})
    assert caught.value.code == 100

    created = api.request(f"v25.0/{PAGE}/feed", post_args={
        "message": "Planlagt", "published": "false", "scheduled_publish_time": later.isoformat()})
    listed = api.request(f"v25.0/{PAGE}/scheduled_posts", args={"fields": "id,message"})

    assert listed["data"] == [{"id": created["id"], "message": "Planlagt"}]
    assert api.request(f"v25.0/{PAGE}/feed")["data"] == []


def test_the_sandbox_takes_json_bodies_and_bearer_tokens(sandbox: Any) -> None:
    base = sandbox.url("facebook") + "/v25.0"
    auth = {"Authorization": "Bearer page-token"}
    photo_ids = [
        requests.post(f"{base}/{PAGE}/photos", headers=auth, timeout=5,
                      json={"url": f"https://e.org/{n}.jpg", "published": False}).json()["id"]
        for n in range(2)
    ]

    answer = requests.post(f"{base}/{PAGE}/feed", headers=auth, timeout=5, json={
        "message": "To billeder", "attached_media": [{"media_fbid": i} for i in photo_ids]})

    assert answer.status_code == 200 and answer.json()["post_supports_client_mutation_id"]
    assert posts(sandbox)[0]["attached_media"] == photo_ids


def test_the_sandbox_sets_version_and_usage_headers_and_refuses_unknown_versions(
    sandbox: Any,
) -> None:
    base = sandbox.url("facebook")
    known = requests.get(f"{base}/v24.0/{PAGE}", params={"access_token": "t"}, timeout=5)
    unknown = requests.get(f"{base}/v99.0/{PAGE}", params={"access_token": "t"}, timeout=5)

    assert known.headers["facebook-api-version"] == "v24.0"
    assert "call_count" in known.headers["X-App-Usage"]
    assert "estimated_time_to_regain_access" in known.headers["X-Business-Use-Case-Usage"]
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == 100
    assert "X-App-Usage" in unknown.headers


def test_the_sandbox_will_not_delete_a_photo_that_belongs_to_a_post(sandbox: Any) -> None:
    post = make_post(media=[photo("a")])
    published = make_adapter(sandbox).publish(post)
    api = graph(sandbox)

    with pytest.raises(facebook.GraphAPIError) as caught:
        api.request(f"v25.0/{post.state['photo_ids'][0]}", method="DELETE")
    deleted = api.request(f"v25.0/{published.external_id}", method="DELETE")

    assert (caught.value.code, caught.value.result["error"]["error_subcode"]) == (100, 33)
    assert deleted == {"success": True}
    assert make_adapter(sandbox).find_existing(make_post()) is None
