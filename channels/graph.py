"""The Graph transport shared by the Facebook and Instagram adapters.

facebook-sdk (mobolic, 3.1.0) is used only as a thin transport: `GraphAPI.request()` with the
Graph version in the path, because its constructor's `version=` check only knows 2.8–3.1. The
library hides two things we need, so this module recovers them:

- It builds URLs from the constant `https://graph.facebook.com/`. A requests adapter mounted on
  the injected session for that prefix rewrites each URL to the configured base (the sandbox)
  and keeps the raw response, so HTTP status and usage headers stay visible.
- It ignores the HTTP status and lets requests' exceptions escape. `GraphClient` turns both,
  plus Graph's `error.code` / `error_subcode` (platforms.md §1.8 and §3.5), into ChannelError.

`write=True` on a call means "repeating it could put something visible on the platform twice";
see channels/graph_errors.py for what that changes.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import facebook
import requests
from requests.adapters import HTTPAdapter

from channels.base import ChannelError, ChannelSettings, ErrorKind
from channels.graph_errors import classify, retry_after_from_headers
from channels.transport import transport_error

GRAPH_URL = "https://graph.facebook.com/"

# Per thread: where the current call goes and the raw response it got. A session may be shared
# by several adapters (Facebook and Instagram point at different sandbox prefixes).
_call = threading.local()


class _GraphTransport(HTTPAdapter):
    """Send graph.facebook.com requests to the configured base and keep the raw response."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        base = getattr(_call, "base", None)
        if base and request.url and request.url.startswith(GRAPH_URL):
            request.url = base + request.url[len(GRAPH_URL) :]
        response = super().send(request, *args, **kwargs)
        _call.response = response
        return response


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


class GraphClient:
    """Make Graph calls through facebook-sdk and raise ChannelError for every failure."""

    def __init__(
        self,
        settings: ChannelSettings,
        session: requests.Session,
        access_token: str,
        *,
        server_error_is_spam: bool = False,
    ) -> None:
        self.version = settings.graph_version
        if not self.version.startswith("v"):
            self.version = "v" + self.version
        base = settings.base_url.rstrip("/") + "/"
        self.base = None if base == GRAPH_URL else base  # rewrite only when it differs
        self.server_error_is_spam = server_error_is_spam
        if not isinstance(session.get_adapter(GRAPH_URL), _GraphTransport):
            session.mount(GRAPH_URL, _GraphTransport())
        self.api = facebook.GraphAPI(access_token, timeout=settings.timeout, session=session)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """GET a Graph path (reads are always safe to repeat)."""
        args = {k: _form_value(v) for k, v in (params or {}).items()}
        return self._request("GET", path, args, None, write=False)

    def post(self, path: str, data: Mapping[str, Any], *, write: bool = True) -> dict[str, Any]:
        """POST form fields to a Graph path; `write` says whether repeating could double a post."""
        form = {k: _form_value(v) for k, v in data.items() if v is not None}
        return self._request("POST", path, {}, form, write=write)

    def delete(self, path: str) -> dict[str, Any]:
        """DELETE a Graph object."""
        return self._request("DELETE", path, {}, None, write=True)

    def pages(
        self, path: str, params: Mapping[str, Any], max_pages: int = 5
    ) -> Iterator[dict[str, Any]]:
        """Yield the items of a cursor-paginated listing, following `after` for a few pages.

        Raises UNKNOWN when more pages remain: a search that stopped early cannot say "absent".
        """
        args = dict(params)
        for _ in range(max_pages):
            body = self.get(path, args)
            yield from body.get("data") or []
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                return
            args["after"] = after
        raise ChannelError(
            ErrorKind.UNKNOWN, "outcome_unknown", f"{path}: more than {max_pages} pages to search"
        )

    def _request(
        self,
        method: str,
        path: str,
        args: dict[str, str],
        form: dict[str, str] | None,
        *,
        write: bool,
    ) -> dict[str, Any]:
        _call.base, _call.response = self.base, None
        try:
            result = self.api.request(
                f"{self.version}/{path.lstrip('/')}", args=args, post_args=form, method=method
            )
        except facebook.GraphAPIError as exc:
            raise self._graph_error(exc, _call.response, write) from exc
        except requests.RequestException as exc:
            raise transport_error(exc, write=write) from exc
        except (KeyError, ValueError) as exc:
            # facebook-sdk indexes content-type and parses JSON without guarding either.
            raise self._bad_answer(_call.response, write, f"unreadable answer: {exc!r}") from exc
        finally:
            _call.base = None
        response = _call.response
        if response is not None and response.status_code >= 400:
            raise self._bad_answer(response, write, f"HTTP {response.status_code}")
        if not isinstance(result, dict):
            raise self._bad_answer(response, write, f"unexpected answer {result!r:.200}")
        return result

    def _graph_error(
        self, exc: facebook.GraphAPIError, response: requests.Response | None, write: bool
    ) -> ChannelError:
        error = exc.result.get("error") if isinstance(exc.result, dict) else None
        if not isinstance(error, dict):
            # e.g. "Maintype was not text, image, or querystring": an HTML error page.
            return self._bad_answer(response, write, str(exc.message))
        subcode = error.get("error_subcode")
        user_msg = error.get("error_user_msg")
        headers = response.headers if response is not None else {}
        return classify(
            _int_or_none(exc.code),
            _int_or_none(subcode),
            write=write,
            message=str(exc.message) + (f" | {user_msg}" if user_msg else ""),
            http_status=response.status_code if response is not None else None,
            is_transient=bool(error.get("is_transient")),
            retry_after=retry_after_from_headers(headers),
            server_error_is_spam=self.server_error_is_spam,
        )

    def _bad_answer(
        self, response: requests.Response | None, write: bool, detail: str
    ) -> ChannelError:
        status = response.status_code if response is not None else None
        retry_after = retry_after_from_headers(response.headers) if response is not None else None
        if status is not None and 400 <= status < 500 and status != 429:
            return ChannelError(ErrorKind.PERMANENT, "platform_error", detail, http_status=status)
        return classify(
            None, write=write, message=detail, http_status=status or 502, retry_after=retry_after
        )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def normalise_text(text: str) -> str:
    """Text as compared for reconciliation: NFC, whitespace collapsed, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def parse_graph_time(value: str | None) -> datetime | None:
    """Parse Graph's `2026-05-01T10:00:00+0000` timestamps (None when absent or odd)."""
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None
