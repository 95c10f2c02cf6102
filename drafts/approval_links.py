"""The emailed approval link: signed, expiring, naming one request; only its nonce's hash is kept.

The link is `URLSafeTimedSerializer(secret_key, salt="approval")` over {request id, nonce}. A
nonce is made at the moment a mail is sent (`rotate_nonce`) and never written anywhere but into
that mail; the request keeps its SHA-256. Sending a reminder or resending makes a new nonce, so
only the newest mail's link is live and an older one says so.
"""

from __future__ import annotations

import enum
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from drafts.approvals import ApprovalRequest, hash_nonce, new_nonce

SALT = "approval"
MAX_TOKEN = 400  # a real token is about 100 characters


class LinkState(enum.StrEnum):
    INVALID = "invalid"  # not ours, tampered with, or naming nothing
    EXPIRED = "expired"  # older than the link lifetime
    REPLACED = "replaced"  # a newer mail about the same request carries the live link
    OK = "ok"  # names a request: the request's own state says what may be done


@dataclass(frozen=True)
class Link:
    state: LinkState
    request: ApprovalRequest | None = None


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SALT)


def make_token(secret_key: str, request_id: int, nonce: str) -> str:
    """The signed token for a request and its current nonce."""
    return str(_serializer(secret_key).dumps({"r": request_id, "n": nonce}))


def rotate_nonce(session: Session, request: ApprovalRequest, now: datetime,
                 link_days: int) -> str:
    """Make the request's live nonce a new one (for a mail about to be sent); return it."""
    nonce, digest = new_nonce()
    request.nonce_hash = digest
    request.sent_at = now
    request.expires_at = now + timedelta(days=link_days)
    session.flush()
    return nonce


def _payload(secret_key: str, token: str, max_age: int) -> tuple[int, str] | LinkState:
    if not token or len(token) > MAX_TOKEN:
        return LinkState.INVALID
    try:
        data: Any = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired:
        return LinkState.EXPIRED
    except BadData:
        return LinkState.INVALID
    if not isinstance(data, dict):
        return LinkState.INVALID
    request_id, nonce = data.get("r"), data.get("n")
    if not isinstance(request_id, int) or not 0 < request_id < 2**31:
        return LinkState.INVALID
    if not isinstance(nonce, str) or not 0 < len(nonce) <= 100:
        return LinkState.INVALID
    return request_id, nonce


def open_link(session: Session, secret_key: str, token: str, now: datetime,
              max_age: int) -> Link:
    """What a link names, read-only: its request if the signature, nonce and age are good."""
    payload = _payload(secret_key, token, max_age)
    if isinstance(payload, LinkState):
        return Link(payload)
    request = session.get(ApprovalRequest, payload[0])
    if request is None:
        return Link(LinkState.INVALID)
    if not hmac.compare_digest(request.nonce_hash, hash_nonce(payload[1])):
        return Link(LinkState.REPLACED, request)
    if request.expires_at <= now:
        return Link(LinkState.EXPIRED, request)
    return Link(LinkState.OK, request)
