"""The website adapter with real requests against the sandbox WordPress over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
from channels.website import WebsiteAdapter, post_slug

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a5f0f7e60000000049454e44ae426082"
)


def make_adapter(sandbox: Any, timeout: float = 5.0) -> WebsiteAdapter:
    account = Account(
        "website", "Kulturmetropolen.dk", "redaktion", {"application_password": "abcd efgh ijkl"}
    )
    settings = ChannelSettings(base_url=sandbox.url("wordpress"), timeout=timeout)
    return WebsiteAdapter(account, settings, requests.Session())


def make_post(marker: str = "d17-website-a1", **kwargs: Any) -> Post:
    fields: dict[str, Any] = {
        "text": "Koncert i Roskilde",
        "title": "Koncert i Roskilde",
        "html": "<p>Kom til <strong>koncert</strong>.</p>",
    }
    fields.update(kwargs)
    return Post(marker=marker, **fields)


def posts(sandbox: Any) -> list[dict[str, Any]]:
    return list(sandbox.store.collection("wordpress", "posts").values())


@pytest.fixture
def image(tmp_path: Path) -> MediaItem:
    path = tmp_path / "koncert.png"
    path.write_bytes(PNG)
    return MediaItem(
        url="http://example.test/koncert.png",
        path=str(path),
        mime_type="image/png",
        alt_text="Orkester på scenen",
    )


def test_it_publishes_now_with_image_category_and_tags(sandbox: Any, image: MediaItem) -> None:
    post = make_post(
        media=[image], initiative_name="Musikindsatsen", municipality_names=["Roskilde", "Køge"]
    )

    published = make_adapter(sandbox).publish(post)

    [stored] = posts(sandbox)
    assert published.external_id == str(stored["id"]) == str(post.state["post_id"])
    assert stored["status"] == "publish" and stored["slug"] == post_slug(post)
    [media] = sandbox.store.collection("wordpress", "media").values()
    assert post.state["media_ids"] == [media["id"]] == [stored["featured_media"]]
    assert media["alt_text"] == "Orkester på scenen"
    categories = sandbox.store.collection("wordpress", "categories")
    tags = sandbox.store.collection("wordpress", "tags")
    assert [categories[str(i)]["name"] for i in stored["categories"]] == ["Musikindsatsen"]
    assert [tags[str(i)]["name"] for i in stored["tags"]] == ["Roskilde", "Køge"]
    page = requests.get(published.url or "", timeout=5)
    assert page.status_code == 200 and "koncert" in page.text


def test_it_reuses_terms_that_already_exist(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    for marker in ("first", "second"):
        adapter.publish(
            make_post(marker, initiative_name="Musikindsatsen", municipality_names=["Køge"])
        )

    assert len(sandbox.store.collection("wordpress", "categories")) == 1
    assert len(sandbox.store.collection("wordpress", "tags")) == 1
    first, second = posts(sandbox)
    assert first["categories"] == second["categories"] and first["tags"] == second["tags"]


def test_it_schedules_a_future_post_with_its_gmt_date(sandbox: Any) -> None:
    when = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)

    published = make_adapter(sandbox).publish(make_post(scheduled_at=when))

    [stored] = posts(sandbox)
    assert stored["status"] == "future" == published.extra["status"]
    assert stored["date_gmt"] == when


def test_it_lets_wordpress_publish_a_post_due_within_a_minute(sandbox: Any) -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)

    published = make_adapter(sandbox).publish(make_post(scheduled_at=when))

    assert published.extra["status"] == "publish"


def test_a_scheduled_post_goes_live_when_its_time_has_passed(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    post = make_post(scheduled_at=datetime.now(UTC) + timedelta(hours=1))
    adapter.publish(post)
    [stored] = posts(sandbox)
    stored["date_gmt"] -= timedelta(hours=2)

    found = adapter.find_existing(post)

    assert found is not None and found.extra["status"] == "publish"


def test_a_create_that_timed_out_is_found_as_a_draft_and_not_created_twice(
    sandbox: Any, image: MediaItem
) -> None:
    sandbox.fault(
        platform="wordpress", op="create", kind="accept_then_timeout", seconds=1.5, remaining=1
    )
    post = make_post(media=[image])
    adapter = make_adapter(sandbox, timeout=0.5)

    with pytest.raises(ChannelError) as caught:
        adapter.publish(post)
    assert (caught.value.kind, caught.value.costs_attempt) == (ErrorKind.RETRYABLE, False)
    assert "post_id" not in post.state and post.state["draft_pending"] is True

    assert make_adapter(sandbox).find_existing(post) is None  # a reconciliation finds it too
    [draft] = posts(sandbox)
    assert draft["status"] == "draft" and post.state["post_id"] == draft["id"]

    published = make_adapter(sandbox).publish(post)
    assert published.external_id == str(draft["id"])
    assert [p["status"] for p in posts(sandbox)] == ["publish"]
    assert len(sandbox.store.collection("wordpress", "media")) == 1


def test_a_publish_step_that_timed_out_is_found_published(sandbox: Any) -> None:
    sandbox.fault(
        platform="wordpress", op="update", kind="accept_then_timeout", seconds=1.5, remaining=1
    )
    post = make_post()

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox, timeout=0.5).publish(post)

    assert caught.value.kind is ErrorKind.UNKNOWN
    found = make_adapter(sandbox).find_existing(post)
    assert found is not None and found.external_id == str(post.state["post_id"])
    assert len(posts(sandbox)) == 1


def test_it_resumes_from_a_remembered_draft_without_uploading_again(
    sandbox: Any, image: MediaItem
) -> None:
    sandbox.fault(platform="wordpress", op="update", kind="accept_then_500", remaining=1)
    post = make_post(media=[image])
    adapter = make_adapter(sandbox)
    with pytest.raises(ChannelError) as caught:
        adapter.publish(post)
    assert caught.value.kind is ErrorKind.UNKNOWN
    checkpoints: list[tuple[str, Any]] = []
    resumed = make_post(media=[image], state=dict(post.state))
    resumed.checkpoint = lambda key, value: checkpoints.append((key, value))

    published = adapter.publish(resumed)

    assert published.external_id == str(post.state["post_id"])
    assert len(posts(sandbox)) == 1 and len(sandbox.store.collection("wordpress", "media")) == 1
    assert checkpoints == []  # nothing new was created


def test_a_dropped_connection_on_create_is_retried_and_resumes_with_that_draft(
    sandbox: Any,
) -> None:
    sandbox.fault(platform="wordpress", op="create", kind="accept_then_drop", remaining=1)
    post = make_post()

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).publish(post)
    assert (caught.value.kind, caught.value.costs_attempt) == (ErrorKind.RETRYABLE, False)
    assert [p["status"] for p in posts(sandbox)] == ["draft"]

    make_adapter(sandbox).publish(post)
    assert [p["status"] for p in posts(sandbox)] == ["publish"]


def test_a_dropped_upload_is_found_by_its_slug_and_not_uploaded_twice(
    sandbox: Any, image: MediaItem
) -> None:
    sandbox.fault(platform="wordpress", op="upload", kind="accept_then_drop", remaining=1)
    post = make_post(media=[image])

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).publish(post)
    assert (caught.value.kind, caught.value.costs_attempt) == (ErrorKind.RETRYABLE, False)

    make_adapter(sandbox).publish(post)
    [media] = sandbox.store.collection("wordpress", "media").values()
    [stored] = posts(sandbox)
    assert stored["featured_media"] == media["id"] == post.state["media_ids"][0]


def test_it_reports_the_dash_two_double_post_signature(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    first = adapter.publish(make_post())
    second = adapter.publish(make_post())  # a careless retry without reconciliation

    assert posts(sandbox)[1]["slug"] == post_slug(make_post()) + "-2"
    found = adapter.find_existing(make_post())
    assert found is not None and found.external_id == first.external_id
    assert found.extra["duplicate_ids"] == [int(second.external_id)]
    assert found.extra["leftover_draft_ids"] == []


def test_a_leftover_draft_is_not_called_a_double_post(sandbox: Any) -> None:
    sandbox.fault(platform="wordpress", op="create", kind="accept_then_500", remaining=1)
    adapter = make_adapter(sandbox)
    with pytest.raises(ChannelError):
        adapter.publish(make_post())  # a draft is left behind, its id never reached us
    published = adapter.publish(make_post())  # a careless retry without reconciliation

    found = adapter.find_existing(make_post())

    [leftover] = [p["id"] for p in posts(sandbox) if p["status"] == "draft"]
    assert found is not None and found.external_id == published.external_id
    assert found.extra["duplicate_ids"] == [] and found.extra["leftover_draft_ids"] == [leftover]


def test_it_says_surely_absent_when_nothing_was_created(sandbox: Any) -> None:
    make_adapter(sandbox).publish(make_post("someone-else"))

    assert make_adapter(sandbox).find_existing(make_post()) is None


def test_it_fetches_view_counts_that_grow_after_publication(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    published = adapter.publish(make_post())
    [stored] = posts(sandbox)
    stored["date_gmt"] -= timedelta(minutes=5)
    early = adapter.fetch_metrics(published)
    stored["date_gmt"] -= timedelta(hours=3)

    later = adapter.fetch_metrics(published)

    assert 0 < early.normalised["views"] < later.normalised["views"]
    assert later.normalised["reach"] <= later.normalised["views"]


def test_it_reports_no_data_rather_than_zero_when_the_site_has_no_stats(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    published = adapter.publish(make_post())
    sandbox.fault(platform="wordpress", op="insights", kind="error", code="rest_no_route")

    metrics = adapter.fetch_metrics(published)

    assert metrics.normalised == {}
    assert metrics.raw["stats"] == "unavailable"


def test_it_tests_the_connection_with_the_current_user(sandbox: Any) -> None:
    assert "redaktion" in make_adapter(sandbox).test_connection()


def test_it_marks_an_expired_application_password_permanent(sandbox: Any) -> None:
    sandbox.fault(platform="wordpress", kind="expired_token")

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).test_connection()

    assert (caught.value.kind, caught.value.reason) == (ErrorKind.PERMANENT, "token_invalid")


def test_it_marks_a_security_plugin_page_as_a_platform_error(sandbox: Any) -> None:
    sandbox.fault(platform="wordpress", op="create", kind="error", code="html_error")

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).publish(make_post())

    assert (caught.value.kind, caught.value.reason) == (ErrorKind.PERMANENT, "platform_error")
    assert posts(sandbox) == []


def test_it_retries_a_rate_limited_call_after_the_given_time(sandbox: Any) -> None:
    sandbox.fault(platform="wordpress", op="create", kind="rate_limit", seconds=45)

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).publish(make_post())

    assert caught.value.kind is ErrorKind.RETRYABLE and caught.value.retry_after == 45


def test_metrics_for_a_deleted_post_are_not_passed_off_as_zero(sandbox: Any) -> None:
    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).fetch_metrics(Published("404404"))

    assert (caught.value.kind, caught.value.reason) == (ErrorKind.PERMANENT, "not_found")


def test_the_slug_is_the_title_made_readable_with_danish_letters_spelt_out(
    sandbox: Any,
) -> None:
    post = make_post(title="Sommerkoncert på Ærø – åbent for børn!")

    published = make_adapter(sandbox).publish(post)

    [stored] = posts(sandbox)
    assert stored["slug"].startswith("sommerkoncert-paa-aeroe-aabent-for-boern-")
    assert stored["slug"] == post.state["slug"] == post_slug(post)
    assert published.url and stored["slug"] in published.url
    assert requests.get(published.url, timeout=5).status_code == 200


def test_two_posts_with_the_same_title_get_slugs_of_their_own(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    adapter.publish(make_post(marker="pub-aaaaaaaaaaaaaaaa"))
    adapter.publish(make_post(marker="pub-bbbbbbbbbbbbbbbb"))

    first, second = posts(sandbox)
    assert first["slug"] != second["slug"] and not second["slug"].endswith("-2")
    assert adapter.find_existing(make_post(marker="pub-bbbbbbbbbbbbbbbb")).external_id == str(
        second["id"])


def test_what_cannot_be_removed_after_a_failure_is_listed_for_a_person(
    sandbox: Any, image: MediaItem
) -> None:
    adapter = make_adapter(sandbox)
    post = make_post(media=[image])
    adapter._upload_media(post)  # the image went up, then the delivery failed for good
    sandbox.fault(platform="wordpress", op="delete", kind="error", code="rest_forbidden/403")

    left = adapter.discard(post)

    [media] = sandbox.store.collection("wordpress", "media").values()
    assert left == [f"WordPress media {media['id']} (permission_missing)"]
    assert post.state["media_ids"] == [media["id"]]
