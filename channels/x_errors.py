"""Translate X API v2 answers and transport failures into ChannelError (platforms.md §6.4).

HTTP   what X meant                                       kind       reason
400    invalid request (text, media ids)                  PERMANENT  invalid_content
401    token rejected or expired                          PERMANENT  token_invalid
403    duplicate content                                  PERMANENT  duplicate
403    suspended or locked account                        PERMANENT  account_restricted
403    app not enrolled, OAuth1 permissions, auth type    PERMANENT  permission_missing
403    "not permitted to perform this action"             PERMANENT  invalid_content
404    no such user or post                               PERMANENT  not_found
429    15-minute limit (retry_after: x-rate-limit-reset)  RETRYABLE  rate_limited
429    24-hour cap spent (x-*-limit-24hour-remaining: 0)  RETRYABLE  quota_exhausted
429    usage-capped (tier cap)                            RETRYABLE  quota_exhausted
≥500   on a create: the post may exist                    UNKNOWN    outcome_unknown
≥500   on a read or a media upload                        RETRYABLE  platform_unavailable
other  any other 4xx                                      PERMANENT  platform_error

Transport failures: refused or connect timeout → RETRYABLE; read timeout or dropped connection on
a create → UNKNOWN (on reads and uploads → RETRYABLE); a malformed base URL → PERMANENT.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from channels.base import ChannelError, ErrorKind
from channels.transport import transport_error as shared_transport_error


def _body(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _detail(body: dict[str, Any], response: Any) -> str:
    """The problem's detail plus every error message, or the bare status line."""
    messages = [str(e.get("message") or e.get("detail") or "") for e in body.get("errors") or []]
    parts = [str(body.get("detail") or body.get("title") or "")] + messages
    text = "; ".join(p for p in parts if p)
    return text or f"{response.status_code} {getattr(response, 'reason', '')}".strip()


def _seconds_until(header: str | None) -> float | None:
    """Seconds from now until an epoch-seconds header value (never negative)."""
    if not header:
        return None
    try:
        return max(0.0, float(header) - time.time())
    except ValueError:
        return None


def _forbidden(body: dict[str, Any], detail: str) -> tuple[str, str]:
    text = (detail + " " + str(body.get("type", ""))).lower()
    if "duplicate" in text:
        return "duplicate", "403"
    if "suspend" in text or "locked" in text:
        return "account_restricted", "403"
    if any(k in text for k in ("client-not-enrolled", "oauth1", "unsupported-authentication")):
        return "permission_missing", "403"
    if "not permitted" in text or "not allowed" in text:
        return "invalid_content", "403"
    return "permission_missing", "403"


def _too_many(response: Any, body: dict[str, Any], detail: str) -> ChannelError:
    headers = response.headers
    for scope in ("user", "app"):
        if headers.get(f"x-{scope}-limit-24hour-remaining") == "0":
            wait = _seconds_until(headers.get(f"x-{scope}-limit-24hour-reset"))
            return ChannelError(
                ErrorKind.RETRYABLE, "quota_exhausted", f"24-hour {scope} cap: {detail}",
                retry_after=wait, platform_code=f"429/{scope}-24h", http_status=429,
            )  # fmt: skip
    wait = _seconds_until(headers.get("x-rate-limit-reset"))
    if "usage-capped" in str(body.get("type", "")) or "usage cap" in detail.lower():
        return ChannelError(
            ErrorKind.RETRYABLE, "quota_exhausted", detail,
            retry_after=wait, platform_code="429/usage-capped", http_status=429,
        )  # fmt: skip
    return ChannelError(
        ErrorKind.RETRYABLE, "rate_limited", detail,
        retry_after=wait, platform_code="429", http_status=429,
    )  # fmt: skip


def error_from_response(response: Any, *, write: bool) -> ChannelError:
    """Classify a non-2xx X answer; `write` is True for the create call."""
    status = int(response.status_code)
    body = _body(response)
    detail = _detail(body, response)
    simple = {400: "invalid_content", 401: "token_invalid", 404: "not_found"}
    if status in simple:
        return ChannelError(
            ErrorKind.PERMANENT, simple[status], detail,
            platform_code=str(status), http_status=status,
        )  # fmt: skip
    if status == 403:
        reason, code = _forbidden(body, detail)
        return ChannelError(
            ErrorKind.PERMANENT, reason, detail, platform_code=code, http_status=403
        )
    if status == 429:
        return _too_many(response, body, detail)
    if status >= 500:
        if write:
            return ChannelError(
                ErrorKind.UNKNOWN, "outcome_unknown", detail,
                platform_code=str(status), http_status=status,
            )  # fmt: skip
        return ChannelError(
            ErrorKind.RETRYABLE, "platform_unavailable", detail,
            platform_code=str(status), http_status=status,
        )  # fmt: skip
    kind = ErrorKind.PERMANENT if 400 <= status < 500 else (
        ErrorKind.UNKNOWN if write else ErrorKind.RETRYABLE
    )  # fmt: skip
    reason = "outcome_unknown" if kind is ErrorKind.UNKNOWN else "platform_error"
    return ChannelError(kind, reason, detail, platform_code=str(status), http_status=status)


def transport_error(exc: requests.RequestException, *, write: bool) -> ChannelError:
    """Classify a failure with no HTTP answer: refused → RETRYABLE, after sending → UNKNOWN."""
    if isinstance(
        exc,
        requests.exceptions.InvalidURL
        | requests.exceptions.InvalidSchema
        | requests.exceptions.MissingSchema,
    ):
        return ChannelError(ErrorKind.PERMANENT, "misconfigured", f"bad X API address: {exc}")
    return shared_transport_error(exc, write=write)
