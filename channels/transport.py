"""Classify failures of the HTTP transport itself (requests exceptions) for any adapter.

The question is whether the request can have reached the platform: a refused connection, a
failed DNS lookup, a TLS failure or a connect timeout cannot have, so they are RETRYABLE; a read
timeout or a dropped connection after sending can have, so on a write they are UNKNOWN.
"""

from __future__ import annotations

import requests
from urllib3.exceptions import NewConnectionError

from channels.base import ChannelError, ErrorKind


def never_connected(exc: BaseException) -> bool:
    """Whether a requests error happened before the request reached the server."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return True
    seen: list[BaseException] = [exc]
    while seen:
        current = seen.pop()
        if isinstance(current, NewConnectionError | ConnectionRefusedError):
            return True
        seen.extend(a for a in current.args if isinstance(a, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            seen.append(reason)
    return False


def transport_error(exc: requests.RequestException, *, write: bool) -> ChannelError:
    """Classify a requests exception: refused is retryable, a lost answer to a write is not."""
    detail = f"{type(exc).__name__}: {exc}"
    if write and not never_connected(exc):
        return ChannelError(ErrorKind.UNKNOWN, "outcome_unknown", detail)
    return ChannelError(ErrorKind.RETRYABLE, "platform_unavailable", detail)
