"""How Mailchimp says no (platforms.md §4.5), as mailchimp-marketing hands it over.

The body arrives as a dict (application/json), a raw JSON string (application/problem+json,
which the library does not recognise as JSON) or empty. Classification goes by HTTP status and
the problem's `title`; `write=True` turns an ambiguous 5xx into UNKNOWN instead of RETRYABLE.
"""

from __future__ import annotations

import json
from typing import Any

from channels.base import ChannelError, ErrorKind

RATE_LIMIT_WAIT = 10.0  # Mailchimp sends no reset header; connections free up within seconds
R, P, U = ErrorKind.RETRYABLE, ErrorKind.PERMANENT, ErrorKind.UNKNOWN


def _problem(text: Any) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    if isinstance(text, str | bytes):
        try:
            parsed = json.loads(text)
        except ValueError:
            return {"detail": text[:300] if isinstance(text, str) else ""}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def classify(status: int, text: Any, *, write: bool) -> ChannelError:
    """Turn a Mailchimp error answer (status, body) into a ChannelError."""
    body = _problem(text)
    title, detail = str(body.get("title", "")), str(body.get("detail", ""))
    fields = body.get("errors")
    message = f"{status} {title}: {detail}".strip() + (f" {json.dumps(fields)}" if fields else "")
    kind: ErrorKind | None
    if status == 429:
        kind, reason = R, "rate_limited"
    elif status == 401:
        kind, reason = P, "token_invalid"
    elif status == 403:
        kind, reason = {
            "": (R, "rate_limited"),  # a bare 403 is how heavy throttling shows [UNCONFIRMED]
            "Forbidden": (P, "permission_missing"),
            "User Disabled": (P, "account_restricted"),
        }.get(title, (P, "token_invalid"))
    elif status == 404:
        kind, reason = P, "not_found"
    elif status == 400:
        kind, reason = P, "invalid_content"
    elif status in (405, 414, 422):
        kind, reason = P, "misconfigured"
    elif status == 503 and title:
        kind, reason = P, "account_restricted"  # compliance review, method disabled
    elif status >= 500:
        kind, reason = None, "platform_unavailable"
    else:
        kind, reason = P, "platform_error"
    if kind is None:
        kind, reason = (U, "outcome_unknown") if write else (R, "platform_unavailable")
    return ChannelError(
        kind,
        reason,
        message,
        retry_after=RATE_LIMIT_WAIT if reason == "rate_limited" else None,
        platform_code=title or None,
        http_status=status,
    )
