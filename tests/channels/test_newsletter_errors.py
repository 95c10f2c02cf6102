"""Every Mailchimp error of platforms.md §4.5, as mailchimp-marketing delivers it, is classified."""

from __future__ import annotations

import json
from http.client import RemoteDisconnected
from typing import Any

import pytest
import requests
import responses
from urllib3.exceptions import ProtocolError

from channels.base import Account, Cause, ChannelError, ChannelSettings, ErrorKind, Post
from channels.newsletter import NewsletterAdapter

API = "http://mc.test/3.0"
R, P, U = ErrorKind.RETRYABLE, ErrorKind.PERMANENT, ErrorKind.UNKNOWN
CAMPAIGN = {"id": "c1", "status": "save", "archive_url": "http://mc.test/a/c1"}


def make_adapter(api: str = API, key: str = "abc123-us6") -> NewsletterAdapter:
    account = Account(
        "newsletter", "Nyhedsbrev", "l1", {"api_key": key},
        {"from_name": "KM", "reply_to": "nyt@kulturby.dk"},
    )  # fmt: skip
    return NewsletterAdapter(account, ChannelSettings(base_url=api, timeout=2))


def make_post(**kwargs: Any) -> Post:
    return Post(marker="d9-newsletter-e4", text="Tekst", title="Emne", **kwargs)


def problem(status: int, title: str, detail: str = "…") -> dict[str, Any]:
    body = {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": title,
            "status": status, "detail": detail, "instance": "0f0e"}  # fmt: skip
    return {"body": json.dumps(body), "status": status, "content_type": "application/problem+json"}


def raised(call: Any) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        call()
    return caught.value


# The glossary of §4.5, answered to the campaign create.
ROWS = [
    (400, "Bad Request", P, "invalid_content"),
    (400, "Invalid Action", P, "invalid_content"),
    (400, "Invalid Resource", P, "invalid_content"),
    (400, "JSON Parse Error", P, "invalid_content"),
    (401, "API Key Missing", P, "token_invalid"),
    (401, "API Key Invalid", P, "token_invalid"),
    (403, "Forbidden", P, "permission_missing"),
    (403, "User Disabled", P, "account_restricted"),
    (403, "Wrong Datacenter", P, "token_invalid"),
    (404, "Resource Not Found", P, "not_found"),
    (405, "Method Not Allowed", P, "misconfigured"),
    (414, "Resource Nesting Too Deep", P, "misconfigured"),
    (422, "Invalid Method Override", P, "misconfigured"),
    (422, "Requested Fields Invalid", P, "misconfigured"),
    (429, "Too Many Requests", R, "rate_limited"),
    (500, "Internal Server Error", R, "platform_unavailable"),  # unsent: looked up, for free
    (503, "Compliance Related", P, "account_restricted"),
    (503, "Method Disabled", P, "account_restricted"),
    (503, "Service Unavailable", R, "platform_unavailable"),  # a proxy's: not a restriction
]


@pytest.mark.parametrize(("status", "title", "kind", "reason"), ROWS)
@responses.activate
def test_it_classifies_each_glossary_error_on_create(
    status: int, title: str, kind: ErrorKind, reason: str
) -> None:
    responses.post(f"{API}/campaigns", **problem(status, title))

    error = raised(lambda: make_adapter().publish(make_post()))

    assert (error.kind, error.reason, error.http_status) == (kind, reason, status)
    assert error.platform_code == title


@responses.activate
def test_it_reads_an_error_served_as_plain_json_too() -> None:
    body = {"title": "API Key Invalid", "status": 401, "detail": "Your API key may be invalid"}
    responses.post(f"{API}/campaigns", json=body, status=401)

    error = raised(lambda: make_adapter().publish(make_post()))

    assert (error.kind, error.reason, error.platform_code) == (P, "token_invalid", body["title"])


@responses.activate
def test_it_waits_before_retrying_the_connection_limit() -> None:
    detail = "You have exceeded the limit of 10 simultaneous connections."
    responses.get(f"{API}/lists/l1", **problem(429, "Too Many Requests", detail))

    error = raised(make_adapter().test_connection)

    assert (error.kind, error.retry_after) == (R, 10.0)


@responses.activate
def test_a_bare_403_is_taken_as_throttling() -> None:
    responses.get(f"{API}/lists/l1", body=b"", status=403)

    error = raised(make_adapter().test_connection)

    assert (error.kind, error.reason) == (R, "rate_limited")


@responses.activate
def test_a_server_error_on_send_is_an_unknown_outcome() -> None:
    responses.get(f"{API}/campaigns/c1", json=CAMPAIGN)
    responses.post(f"{API}/campaigns/c1/actions/send", **problem(500, "Internal Server Error"))

    post = make_post(state={"campaign_id": "c1", "content_set": True})
    error = raised(lambda: make_adapter().publish(post))

    assert (error.kind, error.reason) == (U, "outcome_unknown")


@responses.activate
def test_a_server_error_on_a_read_is_retryable() -> None:
    responses.get(f"{API}/campaigns/c1", **problem(500, "Internal Server Error"))

    post = make_post(state={"campaign_id": "c1"})
    error = raised(lambda: make_adapter().find_existing(post))

    assert (error.kind, error.reason) == (R, "platform_unavailable")


@responses.activate
def test_not_ready_to_send_with_a_clean_checklist_is_retryable_the_first_time() -> None:
    responses.get(f"{API}/campaigns/c1", json=CAMPAIGN)
    detail = "Your Campaign is not ready to send."
    responses.post(f"{API}/campaigns/c1/actions/send", **problem(400, "Bad Request", detail))
    checklist = {"is_ready": True, "items": [{"type": "success", "id": 5,
                                              "heading": "Recipients", "details": "OK"}]}
    responses.get(f"{API}/campaigns/c1/send-checklist", json=checklist)
    post = make_post(state={"campaign_id": "c1", "content_set": True})

    error = raised(lambda: make_adapter().publish(post))

    assert (error.kind, error.reason) == (R, "not_ready")
    assert post.state["not_ready_seen"] is True


@responses.activate
def test_not_ready_to_send_names_the_checklists_configuration_problem_at_once() -> None:
    responses.get(f"{API}/campaigns/c1", json=CAMPAIGN)
    detail = "Your Campaign is not ready to send."
    responses.post(f"{API}/campaigns/c1/actions/send", **problem(400, "Bad Request", detail))
    checklist = {
        "is_ready": False,
        "items": [
            {"type": "error", "id": 4, "heading": "Reply-to address", "details": "Not verified"}
        ],
    }
    responses.get(f"{API}/campaigns/c1/send-checklist", json=checklist)
    post = make_post(state={"campaign_id": "c1", "content_set": True})

    error = raised(lambda: make_adapter().publish(post))

    assert (error.kind, error.reason, error.cause) == (P, "sender_unverified",
                                                       Cause.CONFIGURATION)
    assert "Reply-to address: Not verified" in error.detail


TRANSPORT_ROWS = [
    ("send", requests.ReadTimeout("read timed out"), U),
    ("send", requests.ConnectionError(ProtocolError("aborted", RemoteDisconnected("x"))), U),
    ("send", requests.ConnectTimeout("connect timed out"), R),
    ("read", requests.ReadTimeout("read timed out"), R),
]


@pytest.mark.parametrize(("call", "exc", "kind"), TRANSPORT_ROWS)
@responses.activate
def test_it_classifies_lost_answers_by_whether_the_call_wrote(
    call: str, exc: Exception, kind: ErrorKind
) -> None:
    responses.post(f"{API}/campaigns/c1/actions/send", body=exc)
    responses.get(f"{API}/campaigns/c1", json=CAMPAIGN)
    responses.get(f"{API}/lists/l1", body=exc)
    adapter = make_adapter()
    post = make_post(state={"campaign_id": "c1", "content_set": True})  # the send is the write
    action = adapter.test_connection if call == "read" else lambda: adapter.publish(post)

    assert raised(action).kind is kind


@responses.activate
def test_a_lost_answer_on_the_campaign_create_is_a_free_retry_that_looks_by_title() -> None:
    responses.post(f"{API}/campaigns", body=requests.ReadTimeout("read timed out"))
    post = make_post()

    error = raised(lambda: make_adapter().publish(post))

    assert (error.kind, error.costs_attempt, error.retry_after) == (R, False, 1.0)
    assert post.state == {"campaign_pending": True, "free_retries": 1}


def test_a_refused_connection_is_retryable() -> None:
    error = raised(lambda: make_adapter("http://127.0.0.1:9/3.0").publish(make_post()))

    assert (error.kind, error.reason) == (R, "platform_unavailable")


def test_a_key_without_a_data_centre_is_invalid() -> None:
    error = raised(make_adapter(key="abc123").test_connection)

    assert (error.kind, error.reason) == (P, "token_invalid")


def test_a_host_containing_server_is_refused_as_misconfigured() -> None:
    error = raised(make_adapter("http://myserver.test/3.0").test_connection)

    assert (error.kind, error.reason) == (P, "misconfigured")


@responses.activate
def test_the_data_centre_is_filled_into_the_real_host() -> None:
    list_body = {"name": "Liste", "stats": {"member_count": 3}}
    responses.get("https://us6.api.mailchimp.com/3.0/lists/l1", json=list_body)

    make_adapter("https://{dc}.api.mailchimp.com/3.0").test_connection()

    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")
