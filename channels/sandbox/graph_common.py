"""What the Facebook and Instagram sandboxes share: Graph versions, tokens, params, errors, faults.

Both speak Graph's dialect (platforms.md §1.1, §1.2, §1.8, §1.9): a version in the path
(v19.0–v26.0; an expired one is served as the next usable one, an unknown one is HTTP 400 code
100), the token in the query, the form or `Authorization: Bearer`, form or JSON bodies, and the
`facebook-api-version`, `X-App-Usage` and `X-Business-Use-Case-Usage` headers on every answer.

Fault codes for kind "error" are "code" or "code/subcode", e.g. "190/463", "4", "1", "368",
"80001", "9/2207042", "-2/2207003". Any code is accepted; the ones in graph_errors.ERRORS get
Meta's own message, title and HTTP status, others a generic "(#code) …" message under HTTP 400.
Kind "expired_token" answers 190/463; "rate_limit" answers code 4 (Facebook) or 80002
(Instagram) with usage headers at 100 % and estimated_time_to_regain_access = the rule's
`seconds` in whole minutes (5 when unset); "accept_then_500" commits and answers HTTP 500 code 1.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, Response, request

from channels.sandbox.core import FaultRule, Faults, Store, fail_after_commit, now_ts
from channels.sandbox.graph_errors import error_response, json_response

__all__ = ["error_response", "json_response"]  # re-exported for the platform modules

# version → last day it is served (None = no end announced yet), platforms.md §1.1.
VERSIONS: dict[str, date | None] = {
    "v19.0": date(2026, 5, 21),
    "v20.0": date(2026, 9, 24),
    "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20),
    "v23.0": date(2027, 10, 8),
    "v24.0": date(2028, 2, 18),
    "v25.0": date(2028, 7, 29),
    "v26.0": None,
}

class GraphFail(Exception):
    """Raised inside a handler to answer with a Graph error (or any ready response)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@dataclass
class GraphCall:
    """One incoming Graph call, parsed."""

    platform: str
    version: str  # the version actually served
    parts: list[str]
    method: str
    params: dict[str, Any]
    token: str
    files: dict[str, bytes] = field(default_factory=dict)

    def fields(self, default: Iterable[str]) -> list[str]:
        raw = self.params.get("fields")
        if not raw:
            return list(default)
        return [f.strip() for f in str(raw).split(",") if f.strip()]


def now() -> float:
    return now_ts()


def graph_time(ts: float) -> str:
    """Graph's timestamp format, e.g. 2026-05-01T10:00:00+0000."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_time(value: Any) -> float | None:
    """A unix timestamp or ISO-8601 string as Graph accepts them (None when unreadable)."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("+0000", "+00:00").replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def served_version(asked: str, today: date | None = None) -> str | None:
    """The version that answers a call for `asked`; None when it is not a Graph version."""
    if asked not in VERSIONS:
        return None
    today = today or datetime.now(UTC).date()
    names = list(VERSIONS)
    for name in names[names.index(asked) :]:
        until = VERSIONS[name]
        if until is None or until >= today:
            return name
    return names[-1]


def _parse_params() -> tuple[dict[str, Any], dict[str, bytes], str]:
    params: dict[str, Any] = dict(request.args.items())
    params.update(request.form.items())
    if request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict):
            params.update(body)
    files = {name: f.read() for name, f in request.files.items()}
    # Form style `attached_media[0]={"media_fbid":"…"}` becomes one list, like the JSON style.
    indexed = sorted(
        (k for k in params if k.startswith("attached_media[")),
        key=lambda k: int(k[len("attached_media[") : -1] or 0),
    )
    if indexed:
        params["attached_media"] = [params.pop(k) for k in indexed]
    token = str(params.pop("access_token", "") or "")
    auth = request.headers.get("Authorization", "")
    if not token and auth.lower().startswith("bearer "):
        token = auth[7:].strip()
    params.pop("appsecret_proof", None)  # accepted, never checked
    return params, files, token


def paginate(
    items: list[dict[str, Any]], params: dict[str, Any], default_limit: int = 25
) -> dict[str, Any]:
    """Cut a newest-first list into one page with Graph's cursors and `next` link."""
    try:
        limit = max(1, min(100, int(params.get("limit") or default_limit)))
    except ValueError:
        limit = default_limit
    start = _decode_cursor(params.get("after"))
    page = items[start : start + limit]
    body: dict[str, Any] = {"data": page}
    if page:
        after = _encode_cursor(start + len(page))
        body["paging"] = {"cursors": {"before": _encode_cursor(start), "after": after}}
        if start + limit < len(items):
            query = {k: v for k, v in request.args.items() if k != "after"}
            query["after"] = after
            next_url = request.base_url + "?" + "&".join(f"{k}={v}" for k, v in query.items())
            body["paging"]["next"] = next_url
    return body


def _encode_cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"i:{index}".encode()).decode()


def _decode_cursor(value: Any) -> int:
    if not value:
        return 0
    try:
        return max(0, int(base64.urlsafe_b64decode(str(value)).decode().split(":", 1)[1]))
    except (ValueError, IndexError):
        return 0


def growth(item_id: str, since_ts: float | None, at: float | None = None) -> float:
    """A deterministic audience curve per item: rises fast, then levels off over a day or two."""
    if since_ts is None:
        return 0.0
    elapsed = max(0.0, (at or now()) - since_ts)
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(item_id)) % 997
    ceiling = 400 + seed * 5  # 400–5 380 people
    return ceiling * (1 - math.exp(-(elapsed + 60) / (6 * 3600)))


Handler = Callable[[GraphCall], Response]


class GraphSandbox:
    """Routing, version/token checks, usage headers and fault knobs for one Graph platform."""

    def __init__(self, platform: str, usage_type: str, store: Store, faults: Faults) -> None:
        self.platform = platform
        self.usage_type = usage_type  # "pages" or "instagram" in X-Business-Use-Case-Usage
        self.store = store
        self.faults = faults
        self.call: GraphCall | None = None

    def register(self, app: Flask, prefix: str, handler: Handler) -> None:
        """Serve every `<prefix>/<version>/<path>` through `handler`."""

        def view(version: str, path: str) -> Response:
            return self._serve(version, path, handler)

        app.add_url_rule(
            f"{prefix}/<version>/<path:path>",
            endpoint=f"{self.platform}_graph",
            view_func=view,
            methods=["GET", "POST", "DELETE"],
        )

    def _serve(self, asked: str, path: str, handler: Handler) -> Response:
        params, files, token = _parse_params()
        parts = [p for p in path.split("/") if p]
        version = served_version(asked)
        if version is None:
            version = list(VERSIONS)[-1]
            response = error_response(100, message=f"Unknown path components: /{asked}")
        elif not token:
            response = error_response(
                104, message="An access token is required to request this resource."
            )
        else:
            call = GraphCall(self.platform, version, parts, request.method, params, token, files)
            if self.faults.latency:
                time.sleep(self.faults.latency)
            try:
                response = handler(call)
            except GraphFail as fail:
                response = fail.response
        response.headers["facebook-api-version"] = version
        for name, value in self.usage(parts[0] if parts else "0").items():
            response.headers.setdefault(name, json.dumps(value))
        return response

    def usage(self, owner: str, regain_minutes: int = 0) -> dict[str, Any]:
        """The two usage headers; percentages creep up with calls, 100 when rate limited."""
        counters = self.store.collection(self.platform, "usage")
        with self.store.lock:
            entry = counters.setdefault("calls", {"n": 0})
            entry["n"] += 1
            percent = 100 if regain_minutes else min(95, entry["n"] // 20)
        owner = owner if owner.isdigit() else "0"
        return {
            "X-App-Usage": {"call_count": percent, "total_cputime": percent // 2,
                            "total_time": percent // 2},
            "X-Business-Use-Case-Usage": {
                owner: [{
                    "type": self.usage_type,
                    "call_count": percent,
                    "total_cputime": percent // 2,
                    "total_time": percent // 2,
                    "estimated_time_to_regain_access": regain_minutes,
                    "ads_api_access_tier": "standard_access",
                }]
            },
        }

    def begin(self, call: GraphCall, op: str) -> FaultRule | None:
        """Apply the fault knobs before a handler commits anything.

        Raises GraphFail for error / rate_limit / expired_token; sleeps for latency; returns an
        accept_then_* rule for `after_commit`.
        """
        rule = self.faults.pick(self.platform, op)
        if rule is None:
            return None
        owner = call.parts[0] if call.parts else "0"
        if rule.kind == "latency":
            time.sleep(rule.seconds)
            return None
        if rule.kind == "expired_token":
            raise GraphFail(error_response(190, 463, version=call.version))
        if rule.kind == "rate_limit":
            minutes = max(1, math.ceil(rule.seconds / 60)) if rule.seconds else 5
            limit_code = 4 if self.platform == "facebook" else 80002
            raise GraphFail(error_response(
                limit_code, version=call.version, usage=self.usage(owner, regain_minutes=minutes)
            ))
        if rule.kind == "error":
            code, _, subcode = (rule.code or "1").partition("/")
            if code.lstrip("-").isdigit():
                raise GraphFail(error_response(code, subcode or None, version=call.version))
            return rule  # a non-numeric code is the platform module's own (e.g. IG "EXPIRED")
        return rule

    def after_commit(self, call: GraphCall, rule: FaultRule | None) -> None:
        """Fail the answer of a committed write the way an accept_then_* rule says."""
        if rule is None or not rule.kind.startswith("accept_then_"):
            return
        if rule.kind == "accept_then_500":
            raise GraphFail(error_response(1, status=500, version=call.version))
        fail_after_commit(rule, request.environ)


def not_found(call: GraphCall, node: str, verb: str = "get") -> GraphFail:
    """Graph's answer for an id that does not exist (code 100, subcode 33)."""
    return GraphFail(error_response(
        100, 33,
        f"Unsupported {verb} request. Object with ID '{node}' does not exist, cannot be loaded "
        "due to missing permissions, or does not support this operation.",
        version=call.version,
    ))


def bad_param(call: GraphCall, message: str, code: int = 100, subcode: int | None = None,
              ) -> GraphFail:
    """A (#100)-style invalid-parameter answer."""
    return GraphFail(error_response(code, subcode, message, version=call.version))


def pick_fields(record: dict[str, Any], wanted: list[str], node_type: str,
                call: GraphCall) -> dict[str, Any]:
    """Return `id` plus the wanted fields, refusing fields the node type does not have."""
    out: dict[str, Any] = {}
    for name in wanted:
        base = name.split("{", 1)[0].split(".", 1)[0]
        if base not in record:
            raise bad_param(
                call, f"(#100) Tried accessing nonexisting field ({base}) on node type "
                f"({node_type})"
            )
        if record[base] is not None:
            out[base] = record[base]
    out.setdefault("id", record["id"])
    return out


class Knobs:
    """A Graph sandbox's settings (`defaults`), changed per run until the next reset."""

    def __init__(self, platform: str, defaults: dict[str, Any]) -> None:
        self.platform = platform
        self.defaults = defaults

    def configure(self, store: Store, **knobs: Any) -> None:
        """Change knobs until the next reset."""
        store.collection(self.platform, "config").setdefault("knobs", {}).update(knobs)

    def get(self, store: Store, name: str) -> Any:
        """A knob's current value."""
        changed = store.collection(self.platform, "config").get("knobs", {})
        return changed.get(name, self.defaults[name])
