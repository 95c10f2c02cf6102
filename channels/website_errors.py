"""How WordPress says no: error codes (platforms.md §5.3, §5.4), HTML pages, 429s.

`write=True` means repeating the call could put something on the site twice; only then does an
ambiguous failure (a 5xx, a lost answer, a non-JSON 2xx) become UNKNOWN instead of RETRYABLE.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import requests

from channels.base import ChannelError, ErrorKind

R, P, U = ErrorKind.RETRYABLE, ErrorKind.PERMANENT, ErrorKind.UNKNOWN

# WordPress error codes (§5.3, §5.4) → (kind, reason). None as kind means "server trouble":
# UNKNOWN on a write, RETRYABLE on a read.
WP_CODES: dict[str, tuple[ErrorKind | None, str]] = {
    "incorrect_password": (P, "token_invalid"),
    "invalid_username": (P, "token_invalid"),
    "invalid_email": (P, "token_invalid"),
    "rest_not_logged_in": (P, "token_invalid"),
    "application_passwords_disabled": (P, "misconfigured"),
    "rest_cookie_invalid_nonce": (P, "misconfigured"),  # cookie auth got in: not our scheme
    "rest_no_route": (P, "misconfigured"),  # wrong base URL or REST API disabled
    "rest_invalid_param": (P, "invalid_content"),
    "rest_missing_callback_param": (P, "invalid_content"),
    "rest_post_invalid_id": (P, "not_found"),
    "rest_term_invalid": (P, "not_found"),
    "rest_cannot_publish": (P, "permission_missing"),
    "rest_upload_no_data": (P, "invalid_media"),
    "rest_upload_no_content_type": (P, "invalid_media"),
    "rest_upload_no_content_disposition": (P, "invalid_media"),
    "rest_upload_invalid_disposition": (P, "invalid_media"),
    "rest_upload_image_type_not_supported": (P, "invalid_media"),
    "rest_upload_file_too_big": (P, "invalid_media"),
    "rest_upload_sideload_error": (P, "invalid_media"),  # 500, but "file type not allowed"
    "rest_upload_limited_space": (P, "platform_error"),  # a person must free space on the site
    "rest_upload_user_quota_exceeded": (P, "platform_error"),
    "rest_upload_hash_mismatch": (R, "platform_unavailable"),  # damaged in transit, not stored
    "rest_upload_unknown_error": (None, "platform_unavailable"),
    "internal_server_error": (None, "platform_unavailable"),
}


def _retry_after(headers: Any) -> float | None:
    raw = str(headers.get("Retry-After", "")).strip()
    return float(raw) if raw.isdigit() else None


def classify_response(response: requests.Response, *, write: bool) -> ChannelError:
    """Turn a WordPress answer that is not a usable JSON success into a ChannelError."""
    status = response.status_code
    body = json_or_none(response)
    if status == 429:
        return ChannelError(
            R,
            "rate_limited",
            response.text[:300],
            retry_after=_retry_after(response.headers),
            http_status=status,
        )
    if not isinstance(body, dict) or "code" not in body:
        return _non_json_error(response, write=write)
    code = str(body.get("code"))
    message = html.unescape(re.sub(r"<[^>]+>", " ", str(body.get("message", "")))).strip()
    detail = f"{code}: {message}"
    params = (body.get("data") or {}).get("params") if isinstance(body.get("data"), dict) else None
    if params:
        detail += " " + json.dumps(params, ensure_ascii=False)
    kind: ErrorKind | None
    if code in WP_CODES:
        kind, reason = WP_CODES[code]
    elif code in ("rest_cannot_create", "rest_forbidden", "rest_cannot_edit") or status in (
        401,
        403,
    ):
        # 401 means WordPress did not accept who we are (often a stripped Authorization
        # header); 403 means it knows us and refuses.
        kind, reason = (P, "token_invalid") if status == 401 else (P, "permission_missing")
    elif status >= 500:
        kind, reason = None, "platform_unavailable"
    elif status == 404:
        kind, reason = P, "not_found"
    else:
        kind, reason = P, "invalid_content"
    if kind is None:
        kind, reason = (U, "outcome_unknown") if write else (R, "platform_unavailable")
    return ChannelError(kind, reason, detail, platform_code=code, http_status=status)


def _non_json_error(response: requests.Response, *, write: bool) -> ChannelError:
    """Classify an HTML page (security plugin, maintenance mode, wrong URL, PHP notices)."""
    status = response.status_code
    snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))[:300].strip()
    detail = f"HTTP {status} {response.headers.get('Content-Type', '')}: {snippet}"
    if status == 503 or (status >= 500 and not write):
        return ChannelError(R, "platform_unavailable", detail, http_status=status)
    if status >= 500 or (status < 300 and write):
        # A 2xx write whose body is not JSON is usually PHP notices printed before the JSON:
        # WordPress may well have saved the post, so reconcile.
        return ChannelError(U, "outcome_unknown", detail, http_status=status)
    if status < 300 or status == 404:
        return ChannelError(P, "misconfigured", detail, http_status=status)
    return ChannelError(P, "platform_error", detail, http_status=status)


def json_or_none(response: requests.Response) -> Any:
    if "json" not in response.headers.get("Content-Type", ""):
        return None
    try:
        return response.json()
    except ValueError:
        return None
