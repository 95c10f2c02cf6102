"""How Graph failures are classified: error codes, transport errors, usage headers.

The tables follow platforms.md §1.8 (Facebook) and §3.5 (Instagram). `write=True` means
"repeating the call could put something visible on the platform twice"; only such calls turn an
ambiguous failure (read timeout, dropped connection, 5xx, Meta code 1/2) into UNKNOWN.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from channels.base import ChannelError, ErrorKind

# Classification. AMBIGUOUS means "server trouble": UNKNOWN on a write, RETRYABLE on a read.
R, P, AMBIGUOUS = ErrorKind.RETRYABLE, ErrorKind.PERMANENT, None
Rule = tuple[ErrorKind | None, str]

BY_CODE_AND_SUBCODE: dict[tuple[int, int], Rule] = {
    # 190 subcodes (§1.8): all need a person, but not all are fixed by reconnecting.
    (190, 458): (P, "token_invalid"),  # app not installed
    (190, 459): (P, "account_restricted"),  # user checkpointed
    (190, 460): (P, "token_expired"),  # password changed
    (190, 463): (P, "token_expired"),
    (190, 464): (P, "account_restricted"),  # unconfirmed user
    (190, 467): (P, "token_invalid"),
    (190, 492): (P, "permission_missing"),  # no role on the Page; a new token will not help
    (100, 33): (P, "not_found"),
    (3001, 1504028): (P, "misconfigured"),  # insights call without a metric
    # Instagram (§3.5). "Recreate the container" rows are retryable: the adapter forgets them.
    (-2, 2207003): (R, "media_unreachable"),
    (-2, 2207020): (R, "media_processing"),
    (-1, 2207001): (AMBIGUOUS, "platform_unavailable"),
    (-1, 2207032): (R, "media_processing"),
    (-1, 2207053): (R, "media_processing"),
    (1, 2207057): (P, "invalid_media"),
    (4, 2207051): (P, "policy_block"),
    (9, 2207042): (R, "quota_exhausted"),
    (9, 2207069): (R, "quota_exhausted"),
    (24, 2207006): (R, "media_processing"),
    (24, 2207008): (R, "media_processing"),
    (25, 2207050): (P, "account_restricted"),
    (100, 2207023): (P, "invalid_media"),
    (100, 2207028): (P, "invalid_content"),
    (100, 2207035): (P, "invalid_content"),
    (100, 2207036): (P, "invalid_content"),
    (100, 2207037): (P, "invalid_content"),
    (100, 2207040): (P, "invalid_content"),
    (352, 2207026): (P, "invalid_media"),
    (9004, 2207052): (P, "media_unreachable"),
    (9007, 2207027): (R, "media_processing"),
    (36000, 2207004): (P, "invalid_media"),
    (36001, 2207005): (P, "invalid_media"),
    (36003, 2207009): (P, "invalid_media"),
    (36004, 2207010): (P, "invalid_content"),
}

# Subcodes that mean the same whatever code carries them (Postiz's list in §1.8).
BY_SUBCODE: dict[int, Rule] = {
    1366046: (P, "invalid_media"),
    1390008: (R, "rate_limited"),
    1346003: (P, "policy_block"),
    1404102: (P, "policy_block"),
    1404078: (P, "permission_missing"),
    1366051: (P, "duplicate"),
    1609008: (P, "invalid_link"),
    2061006: (P, "invalid_link"),
    4854002: (P, "account_restricted"),
    1363047: (AMBIGUOUS, "platform_unavailable"),  # "service temporarily unavailable"
    1609010: (AMBIGUOUS, "platform_unavailable"),
}

BY_CODE: dict[int, Rule] = {
    1: (AMBIGUOUS, "platform_unavailable"),
    2: (AMBIGUOUS, "platform_unavailable"),
    -1: (AMBIGUOUS, "platform_unavailable"),
    -2: (R, "platform_unavailable"),
    3: (P, "permission_missing"),
    4: (R, "rate_limited"),
    17: (R, "rate_limited"),
    32: (R, "rate_limited"),
    341: (R, "rate_limited"),
    613: (R, "rate_limited"),
    80001: (R, "rate_limited"),
    80002: (R, "rate_limited"),
    10: (P, "permission_missing"),
    100: (P, "invalid_content"),
    102: (P, "token_invalid"),
    104: (P, "token_invalid"),  # no token sent at all
    190: (P, "token_invalid"),
    194: (P, "invalid_content"),
    197: (P, "invalid_content"),  # empty post
    368: (P, "policy_block"),  # docs say "wait", but it is a policy block: a person must look
    506: (P, "duplicate"),
    803: (P, "not_found"),
    1500: (P, "invalid_link"),
    1609005: (P, "invalid_link"),
    9007: (R, "media_processing"),
    25: (P, "account_restricted"),
    352: (P, "invalid_media"),
    9004: (P, "media_unreachable"),
    36000: (P, "invalid_media"),
    36001: (P, "invalid_media"),
    36003: (P, "invalid_media"),
    36004: (P, "invalid_content"),
}


def _rule_for(code: int, subcode: int | None) -> Rule | None:
    if subcode is not None:
        if (code, subcode) in BY_CODE_AND_SUBCODE:
            return BY_CODE_AND_SUBCODE[(code, subcode)]
        if subcode in BY_SUBCODE:
            return BY_SUBCODE[subcode]
    if code in BY_CODE:
        return BY_CODE[code]
    if 200 <= code <= 299:
        return (P, "permission_missing")
    return None


def classify(
    code: int | None,
    subcode: int | None = None,
    *,
    write: bool,
    message: str = "",
    http_status: int | None = None,
    is_transient: bool = False,
    retry_after: float | None = None,
    server_error_is_spam: bool = False,
) -> ChannelError:
    """Turn a Graph error (code, subcode, HTTP status) into a ChannelError."""
    rule = _rule_for(code, subcode) if code is not None else None
    if server_error_is_spam and (code, subcode) == (-1, 2207001):
        rule = (P, "policy_block")  # Postiz reads it as "spam detected"
    if rule is None:
        if http_status == 429:
            rule = (R, "rate_limited")
        elif is_transient or (http_status or 0) >= 500:
            rule = (AMBIGUOUS, "platform_unavailable")
        else:
            rule = (P, "platform_error")
    kind, reason = rule
    if kind is None:
        kind, reason = (ErrorKind.UNKNOWN, "outcome_unknown") if write else (R, reason)
    platform_code = None
    if code is not None:
        platform_code = f"{code}/{subcode}" if subcode is not None else str(code)
    return ChannelError(
        kind,
        reason,
        message or f"Graph error {platform_code or http_status}",
        retry_after=retry_after if kind is R else None,
        platform_code=platform_code,
        http_status=http_status,
    )


def classify_subcode(subcode: int, message: str = "") -> ChannelError | None:
    """Classify a bare subcode (as in a container's `status` text); None when unknown."""
    for code, known in BY_CODE_AND_SUBCODE:
        if known == subcode:
            return classify(code, subcode, write=False, message=message)
    return None


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from Retry-After or the usage headers' estimated_time_to_regain_access."""
    waits: list[float] = []
    raw = headers.get("Retry-After")
    if raw and raw.strip().isdigit():
        waits.append(float(raw))
    for name in ("X-Business-Use-Case-Usage", "X-Ad-Account-Usage", "X-App-Usage"):
        for entry in _usage_entries(headers.get(name)):
            minutes = entry.get("estimated_time_to_regain_access")
            if isinstance(minutes, int | float) and minutes > 0:
                waits.append(float(minutes) * 60.0)  # the header counts minutes
    return max(waits) if waits else None


def _usage_entries(raw: str | None) -> list[dict[str, Any]]:
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    if isinstance(value, dict) and all(isinstance(v, list) for v in value.values()):
        return [e for entries in value.values() for e in entries if isinstance(e, dict)]
    return [value] if isinstance(value, dict) else []
