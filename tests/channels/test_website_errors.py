"""Every WordPress error of platforms.md §5.3/§5.4 (and the transport failures) is classified."""

from __future__ import annotations

import json
from http.client import RemoteDisconnected
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import ProtocolError

from channels.base import Account, ChannelError, ChannelSettings, ErrorKind, MediaItem, Post
from channels.website import WebsiteAdapter

BASE = "http://site.test/wordpress"
API = BASE + "/wp-json"
R, P, U = ErrorKind.RETRYABLE, ErrorKind.PERMANENT, ErrorKind.UNKNOWN


def make_adapter(base: str = BASE) -> WebsiteAdapter:
    account = Account("website", "Site", "redaktion", {"application_password": "abcd efgh"})
    return WebsiteAdapter(account, ChannelSettings(base_url=base, timeout=2), requests.Session())


def make_post(**kwargs: Any) -> Post:
    return Post(marker="d5-website-c3", text="Tekst", title="Titel", html="<p>Tekst</p>", **kwargs)


def wp_error(code: str, status: int, message: str = "…") -> dict[str, Any]:
    return {"json": {"code": code, "message": message, "data": {"status": status}},
            "status": status}  # fmt: skip


def html_page(status: int) -> dict[str, Any]:
    page = "<!DOCTYPE html><html><body><h1>Blocked</h1></body></html>"
    return {"body": page, "status": status, "content_type": "text/html"}


def raised(call: Any) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        call()
    return caught.value


# Rows of §5.4 on the create call (POST /wp/v2/posts).
CREATE_ROWS = [
    ("rest_cannot_create", 401, P, "token_invalid"),
    ("rest_cannot_create", 403, P, "permission_missing"),
    ("rest_forbidden", 401, P, "token_invalid"),
    ("rest_forbidden", 403, P, "permission_missing"),
    ("incorrect_password", 401, P, "token_invalid"),
    ("invalid_username", 401, P, "token_invalid"),
    ("rest_invalid_param", 400, P, "invalid_content"),
    ("rest_no_route", 404, P, "misconfigured"),
    ("rest_cookie_invalid_nonce", 403, P, "misconfigured"),
    ("internal_server_error", 500, R, "platform_unavailable"),  # a draft shows nothing
]


@pytest.mark.parametrize(("code", "status", "kind", "reason"), CREATE_ROWS)
@responses.activate
def test_it_classifies_each_create_error(
    code: str, status: int, kind: ErrorKind, reason: str
) -> None:
    responses.post(f"{API}/wp/v2/posts", **wp_error(code, status))

    error = raised(lambda: make_adapter().publish(make_post()))

    assert (error.kind, error.reason, error.platform_code) == (kind, reason, code)
    assert error.http_status == status
    assert error.costs_attempt is (kind is not R)  # an unanswered draft is looked up, free


@responses.activate
def test_it_marks_an_invalid_post_id_on_the_publish_step_not_found() -> None:
    responses.post(f"{API}/wp/v2/posts/41", **wp_error("rest_post_invalid_id", 404))

    error = raised(lambda: make_adapter().publish(make_post(state={"post_id": 41})))

    assert (error.kind, error.reason) == (P, "not_found")


@responses.activate
def test_it_marks_a_user_who_may_not_publish_as_missing_permission() -> None:
    responses.post(f"{API}/wp/v2/posts/41", **wp_error("rest_cannot_publish", 403))

    error = raised(lambda: make_adapter().publish(make_post(state={"post_id": 41})))

    assert (error.kind, error.reason) == (P, "permission_missing")


@responses.activate
def test_it_marks_a_server_error_on_a_read_retryable() -> None:
    responses.get(f"{API}/wp/v2/posts", **wp_error("internal_server_error", 500))

    error = raised(lambda: make_adapter().find_existing(make_post()))

    assert (error.kind, error.reason) == (R, "platform_unavailable")


@responses.activate
def test_it_marks_a_server_error_on_the_publish_step_unknown() -> None:
    responses.post(f"{API}/wp/v2/posts/41", **wp_error("internal_server_error", 500))

    error = raised(lambda: make_adapter().publish(make_post(state={"post_id": 41})))

    assert error.kind is U


@responses.activate
def test_it_honours_retry_after_on_429() -> None:
    responses.post(
        f"{API}/wp/v2/posts", status=429, body="Too Many Requests", headers={"Retry-After": "120"}
    )

    error = raised(lambda: make_adapter().publish(make_post()))

    assert (error.kind, error.reason, error.retry_after) == (R, "rate_limited", 120.0)


HTML_ROWS = [
    ("POST", 403, P, "platform_error"),  # a security plugin blocks the call
    ("POST", 401, P, "platform_error"),
    ("GET", 200, P, "misconfigured"),  # the base URL is a web page, not the REST API
    ("GET", 404, P, "misconfigured"),
    ("POST", 404, P, "misconfigured"),
    ("POST", 200, U, "outcome_unknown"),  # PHP notices before the JSON: the post may exist
    ("POST", 503, R, "platform_unavailable"),  # maintenance mode answers before doing anything
    ("GET", 502, R, "platform_unavailable"),
    ("POST", 502, U, "outcome_unknown"),
]


@pytest.mark.parametrize(("method", "status", "kind", "reason"), HTML_ROWS)
@responses.activate
def test_it_classifies_html_pages_instead_of_json(
    method: str, status: int, kind: ErrorKind, reason: str
) -> None:
    # POST: the publish flip of a draft we made (the one write that can show the post).
    route = "/wp/v2/posts" if method == "GET" else "/wp/v2/posts/41"
    responses.add(method, f"{API}{route}", **html_page(status))
    adapter = make_adapter()
    post = make_post(state={} if method == "GET" else {"post_id": 41})
    call = adapter.find_existing if method == "GET" else adapter.publish

    error = raised(lambda: call(post))

    assert (error.kind, error.reason) == (kind, reason)


# Rows of §5.3 on the media upload.
UPLOAD_ROWS = [
    ("rest_upload_no_data", 400, P, "invalid_media"),
    ("rest_upload_no_content_type", 400, P, "invalid_media"),
    ("rest_upload_no_content_disposition", 400, P, "invalid_media"),
    ("rest_upload_invalid_disposition", 400, P, "invalid_media"),
    ("rest_upload_hash_mismatch", 412, R, "platform_unavailable"),
    ("rest_upload_sideload_error", 500, P, "invalid_media"),
    ("rest_upload_unknown_error", 500, R, "platform_unavailable"),  # looked up by slug
    ("rest_upload_file_too_big", 400, P, "invalid_media"),
    ("rest_upload_limited_space", 400, P, "platform_error"),
    ("rest_upload_user_quota_exceeded", 400, P, "platform_error"),
    ("rest_upload_image_type_not_supported", 400, P, "invalid_media"),
    ("rest_cannot_create", 400, P, "permission_missing"),  # no upload_files capability (sic)
]


@pytest.mark.parametrize(("code", "status", "kind", "reason"), UPLOAD_ROWS)
@responses.activate
def test_it_classifies_each_upload_error(
    code: str, status: int, kind: ErrorKind, reason: str, tmp_path: Path
) -> None:
    image = tmp_path / "a.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    responses.post(f"{API}/wp/v2/media", **wp_error(code, status))
    post = make_post(media=[MediaItem(url="http://x.test/a.jpg", path=str(image))])

    error = raised(lambda: make_adapter().publish(post))

    assert (error.kind, error.reason) == (kind, reason)


@responses.activate
def test_it_uses_the_term_id_of_an_existing_term() -> None:
    body = wp_error("term_exists", 400)
    body["json"]["data"]["term_id"] = 9
    responses.post(f"{API}/wp/v2/categories", **body)
    responses.post(f"{API}/wp/v2/posts", json={"id": 41, "status": "draft"}, status=201)
    responses.post(f"{API}/wp/v2/posts/41", json={"id": 41, "status": "publish", "link": "l"})

    make_adapter().publish(make_post(initiative_name="Ungeindsatsen"))

    assert json.loads(responses.calls[1].request.body or b"{}")["categories"] == [9]


def test_a_refused_connection_is_retryable() -> None:
    error = raised(lambda: make_adapter("http://127.0.0.1:9/wordpress").publish(make_post()))

    assert (error.kind, error.reason) == (R, "platform_unavailable")


TRANSPORT_ROWS = [
    ("POST", requests.ReadTimeout("read timed out"), U),
    ("GET", requests.ReadTimeout("read timed out"), R),
    ("POST", requests.ConnectTimeout("connect timed out"), R),
    ("POST", requests.ConnectionError(ProtocolError("aborted", RemoteDisconnected("gone"))), U),
    ("GET", requests.ConnectionError(ProtocolError("aborted", RemoteDisconnected("gone"))), R),
]


@pytest.mark.parametrize(("method", "exc", "kind"), TRANSPORT_ROWS)
@responses.activate
def test_it_classifies_lost_answers_by_whether_the_call_wrote(
    method: str, exc: Exception, kind: ErrorKind
) -> None:
    route = "/wp/v2/posts" if method == "GET" else "/wp/v2/posts/41"  # POST: the flip
    responses.add(method, f"{API}{route}", body=exc)
    adapter = make_adapter()
    post = make_post(state={} if method == "GET" else {"post_id": 41})
    call = adapter.find_existing if method == "GET" else adapter.publish

    assert raised(lambda: call(post)).kind is kind


@responses.activate
def test_a_lost_answer_on_the_draft_create_is_retried_soon_without_spending_a_try() -> None:
    responses.post(f"{API}/wp/v2/posts", body=requests.ReadTimeout("read timed out"))
    post = make_post()

    error = raised(lambda: make_adapter().publish(post))

    assert (error.kind, error.reason, error.costs_attempt) == (R, "platform_unavailable", False)
    assert error.retry_after == 1.0 and error.cause.value == "platform"
    assert post.state["draft_pending"] is True and post.state["free_retries"] == 1


@responses.activate
def test_after_a_lost_draft_create_the_next_run_finds_the_draft_instead_of_making_another() -> None:
    post = make_post(state={"draft_pending": True, "slug": "titel-abc123"})
    draft = {"id": 41, "status": "draft", "slug": "titel-abc123", "link": "l"}
    responses.get(f"{API}/wp/v2/posts", json=[draft])
    responses.post(f"{API}/wp/v2/posts/41", json={**draft, "status": "publish"})

    published = make_adapter().publish(post)

    assert published.external_id == "41" and post.state["post_id"] == 41
    assert [c.request.method for c in responses.calls] == ["GET", "POST"]  # no second create


@responses.activate
def test_a_free_retry_is_spent_after_ten_and_then_costs_a_try() -> None:
    responses.post(f"{API}/wp/v2/posts", body=requests.ReadTimeout("read timed out"))
    post = make_post(state={"free_retries": 10})

    error = raised(lambda: make_adapter().publish(post))

    assert (error.kind, error.costs_attempt) == (R, True)
