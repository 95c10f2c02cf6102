"""How Mailchimp says no (platforms.md §4.5), as mailchimp-marketing hands it over.

The body arrives as a dict (application/json), a raw JSON string (application/problem+json,
which the library does not recognise as JSON) or empty. Classification goes by HTTP status and
the problem's `title`; `write=True` turns an ambiguous 5xx into UNKNOWN instead of RETRYABLE.

Missing campaign settings (from-name, reply-to, an audience, a verified sender domain) are the
account's configuration, never the content: a 400 naming those fields and the send checklist's
error items map to the configuration reasons. A 503 is a compliance block (permanent) only when
its body says the account is restricted; a proxy's bare 503 is just the platform being away.
"""

from __future__ import annotations

import json
import re
from typing import Any

from channels.base import ChannelError, ErrorKind

# Words in a 503's title or detail that mean Mailchimp itself restricted the account.
RESTRICTED = re.compile(r"complian|restrict|suspend|disabled|under review", re.IGNORECASE)
# A field a 400 names, or the send checklist's words for an item, → the configuration reason.
SETTING_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"from[ _]?name|sender name", re.I), "sender_missing"),
    (re.compile(r"unverified|not (a )?verified|domain|authenticat", re.I), "sender_unverified"),
    (re.compile(r"reply[ _-]?to|from[ _]email", re.I), "reply_to_missing"),
    (re.compile(r"list_id|audience|recipient|subscribed contacts|segment", re.I),
     "audience_empty"),
)
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
        kind, reason = P, setting_reason(fields) or "invalid_content"
    elif status in (405, 414, 422):
        kind, reason = P, "misconfigured"
    elif status == 503 and RESTRICTED.search(f"{title} {detail}"):
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


def setting_reason(fields: Any) -> str | None:
    """The configuration reason for a 400's field errors that name a campaign setting."""
    if not isinstance(fields, list):
        return None
    for item in fields:
        name = str(item.get("field", "")) if isinstance(item, dict) else ""
        for pattern, reason in SETTING_WORDS:
            if name and pattern.search(name):
                return "audience_missing" if "list_id" in name else reason
    return None


def checklist_reasons(checklist: dict[str, Any]) -> list[tuple[str, str]]:
    """Each error item of a send checklist as (reason, words); content items are content."""
    found: list[tuple[str, str]] = []
    for item in checklist.get("items") or []:
        if not isinstance(item, dict) or item.get("type") != "error":
            continue
        words = f"{item.get('heading', '')}: {item.get('details', '')}"
        reason = next((r for p, r in SETTING_WORDS if p.search(words)), "invalid_content")
        found.append((reason, words))
    return found
