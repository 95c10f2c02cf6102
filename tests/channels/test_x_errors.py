"""Every X error of platforms.md §6.4 becomes the right ChannelError (HTTP faked with responses)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.client import RemoteDisconnected
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from channels.base import Account, ChannelError, ChannelSettings, ErrorKind, Post, Published
from channels.x import XAdapter

BASE = "https://x.sandbox.test/x"
TWEETS = f"{BASE}/2/tweets"
USER = "123456"
R, P, U = ErrorKind.RETRYABLE, ErrorKind.PERMANENT, ErrorKind.UNKNOWN
OAUTH1 = {
    "consumer_key": "ck",
    "consumer_secret": "cs",
    "access_token": f"{USER}-token",
    "access_token_secret": "ats",
}


def problem(status: int, title: str, detail: str, type_: str = "about:blank") -> dict[str, Any]:
    return {"title": title, "type": type_, "status": status, "detail": detail}


INVALID = {
    "errors": [{"parameters": {"text": ["x"]}, "message": "Tweet text is too long."}],
    "title": "Invalid Request",
    "detail": "One or more parameters to your request was invalid.",
    "type": "https://api.twitter.com/2/problems/invalid-request",
}
DUPLICATE = problem(
    403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
)
NOT_PERMITTED = problem(403, "Forbidden", "You are not permitted to perform this action.")
SUSPENDED = problem(
    403, "Forbidden", "Your account is suspended and is not permitted to access this feature."
)
NOT_ENROLLED = problem(
    403, "Client Forbidden",
    "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
    "from a Twitter developer App that is attached to a Project.",
    "https://api.twitter.com/2/problems/client-forbidden",
)  # fmt: skip
OAUTH1_PERMISSIONS = problem(
    403, "Forbidden",
    "Your client app is not configured with the appropriate oauth1 app permissions for this "
    "endpoint.",
    "https://api.twitter.com/2/problems/oauth1-permissions",
)  # fmt: skip
UNAUTHORIZED = problem(401, "Unauthorized", "Unauthorized")
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank",
            "status": 429}  # fmt: skip
USAGE_CAPPED = problem(
    429, "UsageCapExceeded", "Usage cap exceeded: Monthly product cap",
    "https://api.twitter.com/2/problems/usage-capped",
)  # fmt: skip
NOT_FOUND = problem(404, "Not Found Error", "Could not find the requested resource.")
SERVER = problem(500, "Internal Server Error", "Internal Server Error")
UNAVAILABLE = problem(503, "Service Unavailable", "Service Unavailable")


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def adapter(credentials: dict[str, str] | None = None, base: str = BASE) -> XAdapter:
    account = Account("x", "Kulturregion", USER, OAUTH1 if credentials is None else credentials)
    return XAdapter(account, ChannelSettings(base_url=base, timeout=3), requests.Session())


def publish_error(post: Post | None = None) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        adapter().publish(post or Post(marker="m", text="Koncert i Køge"))
    return caught.value


# (HTTP status, body, kind on create, reason) — one row per line of the §6.4 table.
ROWS = [
    (400, INVALID, P, "invalid_content"),
    (401, UNAUTHORIZED, P, "token_invalid"),
    (403, DUPLICATE, P, "duplicate"),
    (403, NOT_PERMITTED, P, "invalid_content"),
    (403, SUSPENDED, P, "account_restricted"),
    (403, NOT_ENROLLED, P, "permission_missing"),
    (403, OAUTH1_PERMISSIONS, P, "permission_missing"),
    (404, NOT_FOUND, P, "not_found"),
    (429, USAGE_CAPPED, R, "quota_exhausted"),
    (500, SERVER, U, "outcome_unknown"),
    (503, UNAVAILABLE, U, "outcome_unknown"),
    (409, problem(409, "Conflict", "Conflict"), P, "platform_error"),
]


@pytest.mark.parametrize(("status", "body", "kind", "reason"), ROWS)
def test_it_classifies_each_error_of_a_create(
    mocked: responses.RequestsMock, status: int, body: dict[str, Any], kind: ErrorKind, reason: str
) -> None:
    mocked.post(TWEETS, status=status, json=body, content_type="application/problem+json")
    error = publish_error()
    assert (error.kind, error.reason, error.http_status) == (kind, reason, status)
    assert error.detail  # the platform's own words are kept for the log


def test_it_marks_a_rate_limit_retryable_until_the_reset(mocked: responses.RequestsMock) -> None:
    reset = int(time.time()) + 120
    headers = {"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0",
               "x-rate-limit-reset": str(reset)}  # fmt: skip
    mocked.post(TWEETS, status=429, json=TOO_MANY, headers=headers)
    error = publish_error()
    assert (error.kind, error.reason) == (R, "rate_limited")
    assert error.retry_after is not None and 115 <= error.retry_after <= 120


@pytest.mark.parametrize("scope", ["user", "app"])
def test_it_marks_a_spent_daily_cap_as_quota_until_the_daily_reset(
    mocked: responses.RequestsMock, scope: str
) -> None:
    now = int(time.time())
    headers = {"x-rate-limit-remaining": "180", "x-rate-limit-reset": str(now + 60),
               f"x-{scope}-limit-24hour-limit": "17", f"x-{scope}-limit-24hour-remaining": "0",
               f"x-{scope}-limit-24hour-reset": str(now + 7200)}  # fmt: skip
    mocked.post(TWEETS, status=429, json=TOO_MANY, headers=headers)
    error = publish_error()
    assert (error.kind, error.reason) == (R, "quota_exhausted")
    assert error.retry_after is not None and 7190 <= error.retry_after <= 7200


def test_it_treats_an_unreadable_server_error_on_create_as_unknown(
    mocked: responses.RequestsMock,
) -> None:
    mocked.post(TWEETS, status=502, body="<html>Bad Gateway</html>", content_type="text/html")
    error = publish_error()
    assert (error.kind, error.reason) == (U, "outcome_unknown")


def test_it_treats_an_unreadable_success_on_create_as_unknown(
    mocked: responses.RequestsMock,
) -> None:
    mocked.post(TWEETS, status=201, body="not json", content_type="text/plain")
    assert publish_error().kind is U


def dropped() -> requests.ConnectionError:
    reason = ProtocolError("Connection aborted.", RemoteDisconnected("closed"))
    return requests.ConnectionError(reason)


def refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111]")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, TWEETS, reason))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("failure", "kind"),
    [
        (requests.ReadTimeout("read timed out"), U),
        (dropped(), U),
        (requests.ConnectTimeout("connect timed out"), R),
        (refused(), R),
    ],
    ids=["read-timeout", "dropped", "connect-timeout", "refused"],
)
def test_it_tells_a_create_that_may_have_landed_from_one_that_surely_did_not(
    mocked: responses.RequestsMock, failure: Exception, kind: ErrorKind
) -> None:
    mocked.post(TWEETS, body=failure)
    assert publish_error().kind is kind


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [(500, SERVER, "platform_unavailable"), (503, UNAVAILABLE, "platform_unavailable"),
     (429, TOO_MANY, "rate_limited")],
)  # fmt: skip
def test_it_marks_server_errors_on_reads_retryable(
    mocked: responses.RequestsMock, status: int, body: dict[str, Any], reason: str
) -> None:
    mocked.get(f"{BASE}/2/users/{USER}/tweets", status=status, json=body)
    mocked.get(f"{BASE}/2/tweets/42", status=status, json=body)
    with pytest.raises(ChannelError) as search:
        adapter().find_existing(Post(marker="m", text="Koncert"))
    with pytest.raises(ChannelError) as metrics:
        adapter().fetch_metrics(Published("42"))
    for error in (search.value, metrics.value):
        assert (error.kind, error.reason) == (R, reason)


def test_it_marks_a_read_timeout_while_searching_retryable(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{BASE}/2/users/{USER}/tweets", body=requests.ReadTimeout("slow"))
    with pytest.raises(ChannelError) as caught:
        adapter().find_existing(Post(marker="m", text="Koncert"))
    assert caught.value.kind is R


def test_it_marks_a_failed_media_upload_retryable(
    mocked: responses.RequestsMock, tmp_path: Any
) -> None:
    from channels.base import MediaItem

    image = tmp_path / "a.jpg"
    image.write_bytes(b"\xff\xd8\xff" + b"0" * 100)
    mocked.post(f"{BASE}/2/media/upload", status=503, json=UNAVAILABLE)
    post = Post(marker="m", text="Se", media=[MediaItem(url="http://h/a.jpg", path=str(image))])
    error = publish_error(post)
    assert (error.kind, error.reason) == (R, "platform_unavailable")
    assert not [c for c in mocked.calls if c.request.url == TWEETS]


def test_it_reports_a_missing_post_as_not_found_when_fetching_metrics(
    mocked: responses.RequestsMock,
) -> None:
    errors = [{"value": "42", "detail": "Could not find tweet with id: [42].",
               "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
               "resource_id": "42",
               "type": "https://api.twitter.com/2/problems/resource-not-found"}]  # fmt: skip
    mocked.get(f"{BASE}/2/tweets/42", json={"errors": errors})
    with pytest.raises(ChannelError) as caught:
        adapter().fetch_metrics(Published("42"))
    assert (caught.value.kind, caught.value.reason) == (P, "not_found")


def test_it_refuses_to_publish_without_credentials_as_misconfigured() -> None:
    unconfigured = adapter(credentials={})
    with pytest.raises(ChannelError) as caught:
        unconfigured.publish(Post(marker="m", text="Koncert"))
    assert (caught.value.kind, caught.value.reason) == (P, "misconfigured")
    messages = [p.message("en") for p in unconfigured.validate(Post(marker="m", text="Koncert"))]
    assert "X is not configured." in messages


def test_it_gives_every_call_the_configured_timeout(mocked: responses.RequestsMock) -> None:
    mocked.post(TWEETS, status=201, json={"data": {"id": "7", "text": "Koncert"}})
    adapter().publish(Post(marker="m", text="Koncert"))
    assert mocked.calls[0].request.req_kwargs["timeout"] == 3


def test_it_leaves_the_host_alone_against_x_itself(mocked: responses.RequestsMock) -> None:
    # The OAuth 1.0a signature covers the URL tweepy built, so nothing may be rewritten.
    mocked.post("https://api.twitter.com/2/tweets", status=201, json={"data": {"id": "7"}})
    published = adapter(base="https://api.x.com").publish(Post(marker="m", text="Koncert"))
    assert published.external_id == "7"
    assert mocked.calls[0].request.headers["Authorization"].startswith("OAuth ")
