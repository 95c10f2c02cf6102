"""The sandbox's own endpoints: fault knobs, state, reset (JSON) and an overview page.

GET    /_sandbox/faults          {"latency": s, "rules": [...]}
POST   /_sandbox/faults          add a rule: {"platform", "op", "kind", "code", "rate",
                                 "remaining", "seconds"} (all optional) → 201 with the rule
DELETE /_sandbox/faults          remove every rule and the base latency
DELETE /_sandbox/faults/<id>     remove one rule
POST   /_sandbox/latency         {"seconds": s}: base latency for every platform call
POST   /_sandbox/clock           {"at": ISO time | null}: hold the clock still (insight numbers
                                 stop growing) or let it run again
POST   /_sandbox/reset           forget everything every platform holds (faults stay)
GET    /_sandbox/state           {"platforms": {platform: {collection: {"count", "total",
                                 "items"}}}}, filtered by ?platform= and ?q= (case-blind
                                 substring of an item's JSON)
GET    /                         an HTML page listing what was "published", per platform
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, render_template_string, request

from channels.sandbox.core import DroppedConnection, FaultRule, Faults, Store, freeze_clock

KINDS = (
    "error", "accept_then_timeout", "accept_then_drop", "accept_then_500", "latency",
    "rate_limit", "expired_token",
)  # fmt: skip
PLATFORMS = ("facebook", "instagram", "mailchimp", "wordpress", "x")
PLATFORM_NAMES = {
    "facebook": "Facebook",
    "instagram": "Instagram",
    "mailchimp": "Mailchimp",
    "wordpress": "WordPress",
    "x": "X",
}
ROWS_PER_COLLECTION = 50
TEXT_KEYS = (
    "raw_text", "message", "caption", "text", "subject_line", "title", "name", "content",
    "filename", "email_address",
)  # fmt: skip
STATUS_KEYS = ("status", "status_code", "is_published", "published")
CREATED_KEYS = (
    "created_at", "created_time", "create_time", "timestamp", "date_gmt", "date", "created",
    "date_created", "created_ts", "ts",
)  # fmt: skip


def _json(body: Any, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False, default=str)
    return Response(text, status=status, mimetype="application/json")


def _bad(message: str) -> Response:
    return _json({"error": message}, 400)


def rule_from_json(body: Any) -> FaultRule:
    """Build a FaultRule from a JSON object; raise ValueError naming what is wrong."""
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    names = {f.name for f in dataclasses.fields(FaultRule)} - {"id"}
    unknown = set(body) - names
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    rule = FaultRule()
    for name in ("platform", "op", "kind", "code"):
        if name in body:
            if not isinstance(body[name], str):
                raise ValueError(f"{name} must be a string")
            setattr(rule, name, body[name])
    if rule.kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    for name in ("rate", "seconds"):
        if name in body:
            value = body[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number ≥ 0")
            setattr(rule, name, float(value))
    if rule.rate > 1:
        raise ValueError("rate must be between 0 and 1")
    remaining = body.get("remaining")
    if remaining is not None and (not isinstance(remaining, int) or remaining < 0):
        raise ValueError("remaining must be a whole number ≥ 0 or null")
    rule.remaining = remaining
    return rule


def _searchable(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False, default=str).casefold()


def _plain(value: Any) -> str:
    """A short one-line string from a stored value (nested title/settings objects included)."""
    if isinstance(value, dict):
        for key in ("raw", "rendered", "title", "subject_line", "text"):
            if value.get(key):
                # WordPress's rendered fields are HTML: show their words, not their tags.
                plain = _plain(value[key])
                return (
                    " ".join(re.sub(r"<[^>]+>", " ", plain).split()) if key == "rendered" else plain
                )
        return ""
    text = " ".join(str(value).split())
    return text if len(text) <= 120 else text[:119] + "…"


def _first(item: dict[str, Any], keys: tuple[str, ...]) -> Any:
    settings = item.get("settings")
    for where in (item, settings if isinstance(settings, dict) else {}):
        for key in keys:
            if where.get(key) not in (None, "", {}):
                return where[key]
    return None


def summarise(key: str, item: dict[str, Any]) -> dict[str, str] | None:
    """id, text, status and created time of a stored item; None when it is not content."""
    if not isinstance(item, dict):
        return None
    text, status, created = (_first(item, k) for k in (TEXT_KEYS, STATUS_KEYS, CREATED_KEYS))
    if text is None and created is None:
        return None  # counters, settings and other bookkeeping
    if isinstance(status, bool):
        status = "published" if status else "unpublished"
    if isinstance(created, int | float) and not isinstance(created, bool):
        created = datetime.fromtimestamp(created, UTC).isoformat(timespec="seconds")
    return {
        "id": str(item.get("id", key)),
        "text": _plain(text) if text is not None else "",
        "status": _plain(status) if status is not None else "",
        "created": _plain(created) if created is not None else "",
    }


def overview(store: Store) -> list[dict[str, Any]]:
    """Per platform, per content collection: total and the newest rows (capped)."""
    with store.lock:
        data = copy.deepcopy(store.data)
    platforms = list(PLATFORMS) + sorted(set(data) - set(PLATFORMS))
    result = []
    for platform in platforms:
        collections = []
        for name, items in sorted(data.get(platform, {}).items()):
            rows = [summarise(k, v) for k, v in reversed(list(items.items()))]
            content = [r for r in rows if r is not None]
            if content:
                shown = content[:ROWS_PER_COLLECTION]
                collections.append({"name": name, "total": len(content), "rows": shown})
        label = PLATFORM_NAMES.get(platform, platform)
        result.append({"platform": platform, "label": label, "collections": collections})
    return result


PAGE = """<!doctype html>
<html lang="da">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandkasse – det er "udgivet"</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem;
       color: #1a1a1a; line-height: 1.5; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid #767676; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #eeeeee; }
code { background: #f3f3f3; padding: 0 .2rem; }
.en { color: #333333; }
</style>
</head>
<body>
<header>
<h1>Sandkasse: det er "udgivet"</h1>
<p>Her er alt, hvad Publisher har sendt til sandkassens efterligninger af platformene, nyeste
først (højst {{ cap }} pr. samling). Intet her er rigtigt offentliggjort.
Fejl og forsinkelser styres på <code>/_sandbox/faults</code>; tilstanden kan søges på
<code>/_sandbox/state?q=…</code>.</p>
<p class="en" lang="en">Sandbox: what was "published". Everything Publisher sent to the
sandbox's imitation platforms, newest first (at most {{ cap }} per collection). Nothing here is
really public. Faults and latency are set at <code>/_sandbox/faults</code>; the state can be
searched at <code>/_sandbox/state?q=…</code>.</p>
<p><a href="/mail">Mails sendt i demoen (godkendelseslinks) / <span lang="en">Mail sent in the
demo (approval links)</span></a></p>
{% if rules %}<p>Aktive fejlregler / <span lang="en">active fault rules</span>:
{{ rules|length }}.</p>{% endif %}
</header>
<main>
{% for p in platforms %}
<section aria-labelledby="p-{{ p.platform }}">
<h2 id="p-{{ p.platform }}">{{ p.label }}</h2>
{% if not p.collections %}
<p>Intet endnu. <span class="en" lang="en">Nothing yet.</span></p>
{% endif %}
{% for c in p.collections %}
<table>
<caption>{{ p.label }}: {{ c.name }} ({{ c.total }})</caption>
<thead><tr>
<th scope="col">Id</th>
<th scope="col">Tekst <span lang="en">/ Text</span></th>
<th scope="col">Status</th>
<th scope="col">Oprettet <span lang="en">/ Created</span></th>
</tr></thead>
<tbody>
{% for r in c.rows %}
<tr><td>{{ r.id }}</td><td>{{ r.text }}</td><td>{{ r.status }}</td><td>{{ r.created }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endfor %}
</section>
{% endfor %}
</main>
</body>
</html>
"""


def register(app: Flask, store: Store, faults: Faults) -> None:
    """Add the /_sandbox endpoints, the overview page and the dropped-connection handler."""

    @app.get("/_sandbox/faults")
    def list_faults() -> Response:
        return _json({"latency": faults.latency, "rules": faults.snapshot()})

    @app.post("/_sandbox/faults")
    def add_fault() -> Response:
        try:
            rule = rule_from_json(request.get_json(silent=True))
        except ValueError as exc:
            return _bad(str(exc))
        return _json(dataclasses.asdict(faults.add(rule)), 201)

    @app.delete("/_sandbox/faults")
    def clear_faults() -> Response:
        faults.clear()
        return _json({"latency": faults.latency, "rules": []})

    @app.delete("/_sandbox/faults/<int:rule_id>")
    def remove_fault(rule_id: int) -> Response:
        if not faults.remove(rule_id):
            return _json({"error": f"no rule {rule_id}"}, 404)
        return _json({"latency": faults.latency, "rules": faults.snapshot()})

    @app.post("/_sandbox/latency")
    def set_latency() -> Response:
        body = request.get_json(silent=True)
        seconds = body.get("seconds") if isinstance(body, dict) else None
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            return _bad('expected {"seconds": a number ≥ 0}')
        faults.latency = float(seconds)
        return _json({"latency": faults.latency})

    @app.post("/_sandbox/clock")
    def set_clock() -> Response:
        body = request.get_json(silent=True)
        at = body.get("at", "") if isinstance(body, dict) else ""
        if at is None:
            freeze_clock(None)
            return _json({"at": None})
        try:
            moment = datetime.fromisoformat(str(at))
        except ValueError:
            return _bad('expected {"at": an ISO 8601 time with an offset, or null}')
        if moment.tzinfo is None:
            return _bad('expected {"at": an ISO 8601 time with an offset, or null}')
        freeze_clock(moment.timestamp())
        return _json({"at": moment.astimezone(UTC).isoformat()})

    @app.post("/_sandbox/reset")
    def reset() -> Response:
        store.reset()
        return _json({"reset": True})

    @app.get("/_sandbox/state")
    def state() -> Response:
        platform = request.args.get("platform", "")
        query = request.args.get("q", "").casefold()
        with store.lock:
            data = copy.deepcopy(store.data)
        result: dict[str, Any] = {}
        for name, collections in data.items():
            if platform and name != platform:
                continue
            result[name] = {}
            for cname, items in collections.items():
                hits = [v for v in items.values() if not query or query in _searchable(v)]
                result[name][cname] = {"count": len(hits), "total": len(items), "items": hits}
        return _json({"platforms": result})

    @app.get("/")
    def index() -> str:
        return render_template_string(
            PAGE, platforms=overview(store), rules=faults.snapshot(), cap=ROWS_PER_COLLECTION
        )

    @app.errorhandler(DroppedConnection)
    def dropped(_exc: DroppedConnection) -> Response:
        # The socket is already shut down: nothing reaches the client, and this is no error.
        return Response(status=499)
