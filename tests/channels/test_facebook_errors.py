"""Every Graph error of platforms.md §1.3/§1.8 becomes the right ChannelError (HTTP faked)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from channels.base import Account, ChannelError, ChannelSettings, ErrorKind, Post, Published
from channels.facebook import FacebookAdapter

GRAPH = "https://graph.facebook.com/v25.0"
PAGE = "1234567890"
FEED = f"{GRAPH}/{PAGE}/feed"
R, P, U = ErrorKind.RETRYABLE, ErrorKind.PERMANENT, ErrorKind.UNKNOWN


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        # Reconciliation listings (used after a 506) are empty unless a test says otherwise.
        rsps.get(f"{GRAPH}/{PAGE}/feed", json={"data": []})
        rsps.get(f"{GRAPH}/{PAGE}/scheduled_posts", json={"data": []})
        yield rsps


def adapter() -> FacebookAdapter:
    account = Account("facebook", "Kulturregion", PAGE, {"access_token": "page-token"})
    settings = ChannelSettings(base_url="https://graph.facebook.com", timeout=3)
    return FacebookAdapter(account, settings, requests.Session())


def graph_error(code: int, subcode: int | None = None, **extra: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"message": f"(#{code}) test", "type": "OAuthException",
                             "code": code, "fbtrace_id": "AbC"}
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    return {"error": error}


def publish_error(mocked: responses.RequestsMock, status: int, body: Any, **kw: Any
                  ) -> ChannelError:
    mocked.post(FEED, status=status, json=body, **kw)
    with pytest.raises(ChannelError) as caught:
        adapter().publish(Post(marker="m", text="Koncert i Køge"))
    return caught.value


# (code, subcode, HTTP status, kind when creating a post, reason) — one row per table line.
ROWS = [
    (1, None, 500, U, "outcome_unknown"),
    (2, None, 500, U, "outcome_unknown"),
    (3, None, 400, P, "permission_missing"),
    (4, None, 400, R, "rate_limited"),
    (17, None, 400, R, "rate_limited"),
    (32, None, 400, R, "rate_limited"),
    (613, None, 400, R, "rate_limited"),
    (80001, None, 400, R, "rate_limited"),
    (80002, None, 400, R, "rate_limited"),
    (341, None, 400, R, "rate_limited"),
    (368, None, 400, P, "policy_block"),
    (506, None, 400, P, "duplicate"),
    (1609005, None, 400, P, "invalid_link"),
    (10, None, 400, P, "permission_missing"),
    (200, None, 403, P, "permission_missing"),
    (283, None, 400, P, "permission_missing"),
    (299, None, 400, P, "permission_missing"),
    (100, None, 400, P, "invalid_content"),
    (100, 33, 400, P, "not_found"),
    (102, None, 400, P, "token_invalid"),
    (190, None, 400, P, "token_invalid"),
    (190, 458, 400, P, "token_invalid"),
    (190, 459, 400, P, "account_restricted"),
    (190, 460, 400, P, "token_expired"),
    (190, 463, 400, P, "token_expired"),
    (190, 464, 400, P, "account_restricted"),
    (190, 467, 400, P, "token_invalid"),
    (190, 492, 400, P, "permission_missing"),
    (197, None, 400, P, "invalid_content"),
    (194, None, 400, P, "invalid_content"),
    (1500, None, 400, P, "invalid_link"),
    # Postiz's subcodes (§1.8), under the codes they come with.
    (100, 1366046, 400, P, "invalid_media"),
    (368, 1390008, 400, R, "rate_limited"),
    (368, 1346003, 400, P, "policy_block"),
    (368, 1404102, 400, P, "policy_block"),
    (200, 1404078, 400, P, "permission_missing"),
    (100, 1366051, 400, P, "duplicate"),
    (100, 1609008, 400, P, "invalid_link"),
    (100, 2061006, 400, P, "invalid_link"),
    (200, 4854002, 400, P, "account_restricted"),
    (2, 1363047, 500, U, "outcome_unknown"),
    (2, 1609010, 500, U, "outcome_unknown"),
]


@pytest.mark.parametrize(("code", "subcode", "status", "kind", "reason"), ROWS)
def test_it_classifies_each_graph_error_on_a_post_create(
    mocked: responses.RequestsMock, code: int, subcode: int | None, status: int,
    kind: ErrorKind, reason: str,
) -> None:
    error = publish_error(mocked, status, graph_error(code, subcode))

    assert (error.kind, error.reason) == (kind, reason)
    assert error.platform_code == (f"{code}/{subcode}" if subcode else str(code))


def test_it_marks_expired_token_permanent(mocked: responses.RequestsMock) -> None:
    error = publish_error(mocked, 400, graph_error(190, 463))

    assert error.kind is P and error.reason == "token_expired"
    assert "reconnect" in error.user_message("en").lower()


@pytest.mark.parametrize("code", [1, 2])
def test_it_retries_code_1_and_2_on_a_read(mocked: responses.RequestsMock, code: int) -> None:
    mocked.get(f"{GRAPH}/{PAGE}", status=500, json=graph_error(code, is_transient=True))

    with pytest.raises(ChannelError) as caught:
        adapter().test_connection()

    assert (caught.value.kind, caught.value.reason) == (R, "platform_unavailable")


def test_it_takes_retry_after_from_the_business_use_case_header(
    mocked: responses.RequestsMock,
) -> None:
    usage = {PAGE: [{"type": "pages", "call_count": 100, "total_cputime": 20, "total_time": 20,
                     "estimated_time_to_regain_access": 19}]}
    headers = {"X-Business-Use-Case-Usage": json.dumps(usage),
               "X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 5, "total_time": 5})}

    error = publish_error(mocked, 400, graph_error(80001, is_transient=True), headers=headers)

    assert error.kind is R and error.retry_after == 19 * 60


def test_it_takes_retry_after_from_a_retry_after_header(mocked: responses.RequestsMock) -> None:
    error = publish_error(mocked, 429, graph_error(4), headers={"Retry-After": "120"})

    assert error.kind is R and error.retry_after == 120


def test_it_reads_an_html_500_on_a_create_as_unknown_outcome(
    mocked: responses.RequestsMock,
) -> None:
    mocked.post(FEED, status=502, body="<html>Bad gateway</html>", content_type="text/html")

    with pytest.raises(ChannelError) as caught:
        adapter().publish(Post(marker="m", text="Koncert"))

    assert caught.value.kind is U and caught.value.http_status == 502


def test_it_reads_a_bare_429_as_rate_limited(mocked: responses.RequestsMock) -> None:
    mocked.get(f"{GRAPH}/{PAGE}", status=429, body="slow down", content_type="text/plain")

    with pytest.raises(ChannelError) as caught:
        adapter().test_connection()

    assert (caught.value.kind, caught.value.reason) == (R, "rate_limited")


def test_it_reads_an_unknown_400_error_as_permanent(mocked: responses.RequestsMock) -> None:
    error = publish_error(mocked, 400, graph_error(12345))

    assert (error.kind, error.reason) == (P, "platform_error")


def refused() -> requests.ConnectionError:
    return requests.ConnectionError(
        MaxRetryError(None, FEED, NewConnectionError(None, "Connection refused"))  # type: ignore[arg-type]
    )


def dropped() -> requests.ConnectionError:
    return requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (requests.ConnectTimeout("connect timed out"), R),
        (refused(), R),
        (requests.ReadTimeout("read timed out"), U),
        (dropped(), U),
    ],
    ids=["connect-timeout", "refused", "read-timeout", "dropped"],
)
def test_it_tells_a_lost_create_from_one_never_sent(
    mocked: responses.RequestsMock, exc: Exception, kind: ErrorKind
) -> None:
    mocked.post(FEED, body=exc)

    with pytest.raises(ChannelError) as caught:
        adapter().publish(Post(marker="m", text="Koncert"))

    assert caught.value.kind is kind


@pytest.mark.parametrize("exc", [requests.ReadTimeout("read timed out"), dropped()],
                         ids=["read-timeout", "dropped"])
def test_it_retries_a_read_that_lost_its_answer(
    mocked: responses.RequestsMock, exc: Exception
) -> None:
    mocked.get(f"{GRAPH}/{PAGE}", body=exc)

    with pytest.raises(ChannelError) as caught:
        adapter().test_connection()

    assert (caught.value.kind, caught.value.reason) == (R, "platform_unavailable")


def test_it_carries_on_with_our_own_post_after_a_duplicate_answer(
    mocked: responses.RequestsMock,
) -> None:
    mocked.replace(responses.GET, f"{GRAPH}/{PAGE}/feed", json={"data": [
        {"id": f"{PAGE}_9", "message": "Koncert  i Køge", "is_published": False,
         "created_time": "2026-05-01T10:00:00+0000"},
    ]})
    mocked.post(FEED, status=400, json=graph_error(506))
    mocked.post(f"{GRAPH}/{PAGE}_9", json={"success": True})
    mocked.get(f"{GRAPH}/{PAGE}_9", json={"id": f"{PAGE}_9", "permalink_url": "https://fb/9"})
    post = Post(marker="m", text="Koncert i Køge")

    published = adapter().publish(post)

    assert published == Published(f"{PAGE}_9", "https://fb/9")
    assert post.state["post_id"] == f"{PAGE}_9"


def test_it_reports_a_retired_insights_metric_as_misconfiguration(
    mocked: responses.RequestsMock,
) -> None:
    body = graph_error(100)
    body["error"]["message"] = "(#100) The value must be a valid insights metric"
    mocked.get(f"{GRAPH}/{PAGE}_9/insights", status=400, json=body)

    with pytest.raises(ChannelError) as caught:
        adapter().fetch_metrics(Published(f"{PAGE}_9"))

    assert (caught.value.kind, caught.value.reason) == (P, "misconfigured")
