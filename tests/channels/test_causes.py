"""Every platform's errors fall into the same four causes (configuration, content, platform,
unknown)."""

from __future__ import annotations

import json

import pytest
import requests

from channels.base import REASON_CAUSES, REASONS, Cause, ChannelError, ErrorKind, cause_of
from channels.graph_errors import classify as graph_classify
from channels.newsletter_errors import checklist_reasons
from channels.newsletter_errors import classify as mailchimp_classify
from channels.website_errors import classify_response as wordpress_classify
from channels.x_errors import error_from_response as x_classify

P = ErrorKind.PERMANENT


def http_answer(status: int, body: object) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def test_every_reason_has_exactly_one_of_the_four_causes() -> None:
    assert set(REASON_CAUSES) == set(REASONS)
    assert set(REASON_CAUSES.values()) == set(Cause)


def test_an_error_takes_its_cause_from_its_reason_unless_the_adapter_says_otherwise() -> None:
    assert ChannelError(P, "token_expired").cause == Cause.CONFIGURATION
    assert ChannelError(P, "invalid_media").cause == Cause.CONTENT
    assert ChannelError(P, "platform_error", cause=Cause.PLATFORM).cause == Cause.PLATFORM


def test_the_cause_of_a_stored_reason_key_is_read_with_the_same_helper() -> None:
    assert cause_of("sender_missing") == Cause.CONFIGURATION
    assert cause_of(ChannelError(ErrorKind.RETRYABLE, "rate_limited")) == Cause.PLATFORM
    assert cause_of("") == cause_of("no-such-reason") == Cause.UNKNOWN


@pytest.mark.parametrize(
    ("error", "cause"),
    [
        (graph_classify(190, 463, write=True), Cause.CONFIGURATION),  # Facebook: token expired
        (graph_classify(100, 2207028, write=True), Cause.CONTENT),  # Instagram: carousel size
        (graph_classify(4, write=True), Cause.PLATFORM),  # Graph: app rate limit
        (graph_classify(1, write=True, http_status=500), Cause.UNKNOWN),  # lost on a write
        (
            wordpress_classify(
                http_answer(401, {"code": "incorrect_password", "message": "x"}), write=True
            ),
            Cause.CONFIGURATION,
        ),
        (
            wordpress_classify(
                http_answer(400, {"code": "rest_invalid_param", "message": "x"}), write=True
            ),
            Cause.CONTENT,
        ),
        (
            x_classify(http_answer(401, {"title": "Unauthorized", "detail": "x"}), write=True),
            Cause.CONFIGURATION,
        ),
        (mailchimp_classify(429, {"title": "Too Many Requests"}, write=True), Cause.PLATFORM),
    ],
)
def test_each_platform_dialect_maps_to_the_shared_causes(error: ChannelError, cause: Cause) -> None:
    assert error.cause == cause


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        ("settings.from_name", "sender_missing"),
        ("settings.reply_to", "reply_to_missing"),
        ("recipients.list_id", "audience_missing"),
    ],
)
def test_a_mailchimp_400_naming_a_campaign_setting_is_configuration_not_content(
    field: str, reason: str
) -> None:
    body = {
        "title": "Invalid Resource",
        "detail": "…",
        "errors": [{"field": field, "message": "Required"}],
    }
    error = mailchimp_classify(400, json.dumps(body), write=True)

    assert (error.kind, error.reason, error.cause) == (P, reason, Cause.CONFIGURATION)


def test_a_mailchimp_400_about_the_content_stays_content() -> None:
    body = {"title": "Invalid Resource", "errors": [{"field": "html", "message": "Bad HTML"}]}

    assert mailchimp_classify(400, body, write=True).cause == Cause.CONTENT


def test_the_send_checklist_names_each_missing_setting_as_configuration() -> None:
    checklist = {"is_ready": False, "items": [
        {"type": "success", "id": 1, "heading": "Content", "details": "OK"},
        {"type": "error", "id": 3, "heading": "From name", "details": "Add a from name."},
        {"type": "error", "id": 4, "heading": "Reply-to address", "details": "Add one."},
        {"type": "error", "id": 5, "heading": "Recipients",
         "details": "Your list or segment has no subscribed contacts."},
        {"type": "error", "id": 6, "heading": "Sender domain",
         "details": "kulturby.example is not a verified domain."},
        {"type": "error", "id": 2, "heading": "Subject line", "details": "Add a subject line."},
    ]}  # fmt: skip

    reasons = [reason for reason, _ in checklist_reasons(checklist)]

    assert reasons == ["sender_missing", "reply_to_missing", "audience_empty",
                       "sender_unverified", "invalid_content"]  # fmt: skip


def test_a_503_from_a_proxy_is_not_an_account_restriction() -> None:
    on_write = mailchimp_classify(503, {"title": "Service Unavailable"}, write=True)
    on_read = mailchimp_classify(503, "<html>upstream unavailable</html>", write=False)

    assert (on_write.kind, on_write.reason) == (ErrorKind.UNKNOWN, "outcome_unknown")
    assert (on_read.kind, on_read.reason) == (ErrorKind.RETRYABLE, "platform_unavailable")


def test_a_503_whose_body_says_the_account_is_under_review_is_a_permanent_restriction() -> None:
    body = {"title": "Compliance Related", "detail": "This account is under compliance review."}

    error = mailchimp_classify(503, json.dumps(body), write=True)

    assert (error.kind, error.reason, error.cause) == (P, "account_restricted", Cause.CONFIGURATION)
