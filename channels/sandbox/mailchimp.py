"""Sandbox Mailchimp Marketing API v3 under /mailchimp/3.0 (platforms.md §4).

    POST/GET  /campaigns                     create / list (since_create_time, status, count ≤ 1000)
    GET       /campaigns/{id}                the campaign (status moves save → sending → sent)
    PUT       /campaigns/{id}/content        html / plain_text
    GET       /campaigns/{id}/send-checklist
    POST      /campaigns/{id}/actions/send|schedule|unschedule   204
    GET       /lists/{id}                    any well-formed list id names a list
    GET/POST  /lists/{id}/members, PUT/GET /lists/{id}/members/{hash}, POST …/{hash}/tags
    GET       /reports/{id}, /reports/{id}/email-activity   only once sent; numbers grow
    GET       /mailchimp/archive/{id}        the campaign's web version

Errors are problem+json (so mailchimp-marketing hands them over as a raw JSON string). Auth is
HTTP Basic with any user and any key of the form `<something>-<dc>`, or any Bearer token. More
than 10 requests in flight for one key: the next answers 429 "You have exceeded the limit of 10
simultaneous connections." (stalled accept-then-timeout requests keep counting, as at Mailchimp).
Scheduling off the quarter-hour answers 400 Invalid Resource; sending, scheduling or editing a
campaign that is sending or sent answers 400 [exact texts UNCONFIRMED].

Fault ops: "publish" for every write, narrowed by "create" (campaign create), "content",
"send" (send, schedule, unschedule) and "members" (member writes), which are tried first; "read";
"insights" (reports). Codes for kind "error": a glossary name of §4.5 (BadRequest, InvalidAction,
InvalidResource, JSONParseError, APIKeyMissing, APIKeyInvalid, Forbidden, UserDisabled,
WrongDatacenter, ResourceNotFound, MethodNotAllowed, ResourceNestingTooDeep,
InvalidMethodOverride, RequestedFieldsInvalid, TooManyRequests, InternalServerError,
ComplianceRelated, MethodDisabled; ServiceUnavailable is a proxy's 503), an HTTP status
("400", "403", "500", …), "NotReady" (400 "Your Campaign is not ready to send.") or
"bare_403" (403 with no body). Default: 500.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, Response, request

from channels.sandbox.core import FaultRule, Faults, Store, fail_after_commit, utcnow
from channels.sandbox.mailchimp_site import (
    PLATFORM,
    Mailchimp,
    fault_answer,
    new_member,
    new_member_problem,
    number,
    ok,
    parse_time,
    problem,
    public,
    segment_problem,
    stamp,
    subscriber_hash,
)

MAX_CONNECTIONS = 10
KEY = re.compile(r"[^\s-]+-[a-z]+[0-9]+")
Handler = Callable[..., Response]


def _api_key() -> tuple[str | None, Response | None]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and header[7:].strip():
        return header[7:].strip(), None
    auth = request.authorization
    if auth is None or not auth.password:
        return None, problem("APIKeyMissing")
    if not KEY.fullmatch(auth.password):
        return None, problem("APIKeyInvalid")
    return auth.password, None


def _early(rule: FaultRule | None) -> Response | None:
    if rule is None:
        return None
    if rule.kind == "latency":
        time.sleep(rule.seconds)
    elif rule.kind == "error":
        return fault_answer(rule.code or "500")
    elif rule.kind == "rate_limit":
        return problem("TooManyRequests")
    elif rule.kind == "expired_token":
        return problem("APIKeyInvalid")
    return None


def _after_commit(rule: FaultRule | None) -> Response | None:
    if rule is None:
        return None
    if rule.kind == "accept_then_500":
        return problem("InternalServerError")
    fail_after_commit(rule, request.environ)
    return None


def _body() -> dict[str, Any] | Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problem("JSONParseError")
    return body


def _page(items: list[Any]) -> tuple[list[Any], int]:
    count = number(request.args.get("count"), 10)
    offset = number(request.args.get("offset"), 0)
    return items[offset : offset + min(count, 1000)], len(items)


def register(app: Flask, store: Store, faults: Faults) -> None:
    """Serve the sandbox Mailchimp API under /mailchimp/3.0."""
    site = Mailchimp(store)
    bp = Blueprint("sandbox_mailchimp", __name__, url_prefix="/mailchimp")
    in_flight: Counter[str] = Counter()
    lock = threading.Lock()

    def endpoint(*ops: str) -> Callable[[Handler], Handler]:
        """Wrap a handler: auth, the connection limit, base latency, the first fault rule."""

        def decorate(fn: Handler) -> Handler:
            @wraps(fn)
            def wrapped(**kwargs: Any) -> Response:
                key, refused = _api_key()
                if refused is not None or key is None:
                    return refused or problem("APIKeyMissing")
                with lock:
                    if in_flight[key] >= MAX_CONNECTIONS:
                        return problem("TooManyRequests")
                    in_flight[key] += 1
                try:
                    if faults.latency:
                        time.sleep(faults.latency)
                    rule = next((r for r in (faults.pick(PLATFORM, op) for op in ops) if r), None)
                    answer = _early(rule)
                    if answer is not None:
                        return answer
                    return fn(rule, **kwargs)
                finally:
                    with lock:
                        in_flight[key] -= 1

            return wrapped

        return decorate

    def campaign_or_404(campaign_id: str) -> dict[str, Any] | None:
        campaign = site.campaigns.get(campaign_id)
        if campaign is not None:
            site.advance(campaign, utcnow())
        return campaign

    @bp.post("/3.0/campaigns")
    @endpoint("create", "publish")
    def create_campaign(rule: FaultRule | None) -> Response:
        body = _body()
        if isinstance(body, Response):
            return body
        if body.get("type") not in ("regular", "plaintext", "absplit", "rss", "variate"):
            errors = [{"field": "type", "message": "Schema describes enum, regular expected"}]
            return problem("InvalidResource", errors=errors)
        recipients = dict(body.get("recipients") or {})
        why = segment_problem(recipients.get("segment_opts"))
        if why:
            return problem("InvalidResource", errors=[{"field": "segment_opts", "message": why}])
        now = utcnow()
        campaign_id = uuid.uuid4().hex[:10]
        root = request.host_url.rstrip("/")
        if recipients.get("list_id"):
            recipients["list_name"] = site.get_list(recipients["list_id"])["name"]
        campaign: dict[str, Any] = {
            "id": campaign_id,
            "web_id": int(store.new_id()) % 10**9,
            "type": body["type"],
            "create_time": stamp(now),
            "archive_url": f"{root}/mailchimp/archive/{campaign_id}",
            "long_archive_url": f"{root}/mailchimp/archive/{campaign_id}?full=1",
            "status": "save",
            "emails_sent": 0,
            "send_time": "",
            "content_type": "html",
            "needs_block_refresh": False,
            "resendable": False,
            "recipients": {
                "list_id": "", "list_is_active": True, "list_name": "", "segment_text": "",
                **recipients,
            },
            "settings": dict(body.get("settings") or {}),
            "tracking": dict(body.get("tracking") or {"opens": True, "html_clicks": True}),
            "delivery_status": {"enabled": False},
            "_links": [],
            "_sends": 0,
        }  # fmt: skip
        with store.lock:
            site.campaigns[campaign_id] = campaign
            campaign["recipients"]["recipient_count"] = len(site.recipients(campaign))
        return _after_commit(rule) or ok(public(campaign))

    @bp.get("/3.0/campaigns")
    @endpoint("read")
    def list_campaigns(rule: FaultRule | None) -> Response:
        args, now = request.args, utcnow()
        since, before = (
            parse_time(args.get("since_create_time")),
            parse_time(args.get("before_create_time")),
        )
        with store.lock:
            found = []
            for campaign in site.campaigns.values():
                site.advance(campaign, now)
                created = parse_time(campaign["create_time"]) or now
                if (since and created < since) or (before and created >= before):
                    continue
                if args.get("status") and campaign["status"] != args["status"]:
                    continue
                if args.get("list_id") and campaign["recipients"]["list_id"] != args["list_id"]:
                    continue
                found.append(public(campaign))
        found.sort(key=lambda c: c["create_time"], reverse=args.get("sort_dir") == "DESC")
        window, total = _page(found)
        return ok({"campaigns": window, "total_items": total, "_links": []})

    @bp.get("/3.0/campaigns/<campaign_id>")
    @endpoint("read")
    def get_campaign(rule: FaultRule | None, campaign_id: str) -> Response:
        with store.lock:
            campaign = campaign_or_404(campaign_id)
            return ok(public(campaign)) if campaign else problem("ResourceNotFound")

    @bp.put("/3.0/campaigns/<campaign_id>/content")
    @endpoint("content", "publish")
    def set_content(rule: FaultRule | None, campaign_id: str) -> Response:
        body = _body()
        if isinstance(body, Response):
            return body
        with store.lock:
            campaign = campaign_or_404(campaign_id)
            if campaign is None:
                return problem("ResourceNotFound")
            if campaign["status"] not in ("save", "paused"):
                return problem("InvalidAction", "This campaign cannot be edited any more.")
            html = str(body.get("html") or "")
            plain = str(body.get("plain_text") or re.sub(r"<[^>]+>", " ", html).strip())
            campaign["_html"], campaign["_plain_text"] = html, plain
            links = re.findall(r'href="(https?://[^"]+)"', html)
            campaign["_link"] = links[0] if links else ""
        answer = {"plain_text": plain, "html": html, "archive_html": html, "_links": []}
        return _after_commit(rule) or ok(answer)

    @bp.get("/3.0/campaigns/<campaign_id>/send-checklist")
    @endpoint("read")
    def send_checklist(rule: FaultRule | None, campaign_id: str) -> Response:
        with store.lock:
            campaign = campaign_or_404(campaign_id)
            return ok(site.checklist(campaign)) if campaign else problem("ResourceNotFound")

    @bp.post("/3.0/campaigns/<campaign_id>/actions/<any(send, schedule, unschedule):action>")
    @endpoint("send", "publish")
    def act(rule: FaultRule | None, campaign_id: str, action: str) -> Response:
        body = request.get_json(silent=True) or {}
        now = utcnow()
        with store.lock:
            campaign = campaign_or_404(campaign_id)
            if campaign is None:
                return problem("ResourceNotFound")
            refused = _refuse(campaign, action, body, now)
            if refused is not None:
                return refused
            if action == "send":
                site.start_sending(campaign, now)
                campaign["_sends"] += 1
            elif action == "schedule":
                campaign["status"] = "schedule"
                campaign["send_time"] = stamp(parse_time(body["schedule_time"]) or now)
            else:
                campaign["status"], campaign["send_time"] = "save", ""
        return _after_commit(rule) or Response(status=204)

    def _refuse(
        campaign: dict[str, Any], action: str, body: dict[str, Any], now: datetime
    ) -> Response | None:
        if action == "unschedule":
            if campaign["status"] != "schedule":
                return problem("BadRequest", "This campaign is not scheduled.")
            return None
        if campaign["status"] not in ("save", "paused"):
            return problem("BadRequest", "This campaign has already been sent or scheduled.")
        if not site.checklist(campaign)["is_ready"]:
            return problem("NotReady")
        if action == "send":
            return None
        when = parse_time(body.get("schedule_time"))
        if when is None:
            errors = [{"field": "schedule_time", "message": "This value should not be blank."}]
            return problem("InvalidResource", errors=errors)
        if when.minute % 15 or when.second or when.microsecond:
            return problem(
                "InvalidResource",
                "Campaigns may only be scheduled to send on the quarter-hour (:00, :15, :30, :45).",
            )
        if when <= now:
            return problem("InvalidResource", "The schedule time must be in the future.")
        if body.get("timewarp") and body.get("batch_delivery"):
            return problem("InvalidResource", "Timewarp and batch delivery cannot be combined.")
        return None

    @bp.get("/3.0/lists/<list_id>")
    @endpoint("read")
    def get_list(rule: FaultRule | None, list_id: str) -> Response:
        return ok(site.get_list(list_id))

    @bp.get("/3.0/lists/<list_id>/members")
    @endpoint("read")
    def list_members(rule: FaultRule | None, list_id: str) -> Response:
        members = sorted(site.list_members(list_id), key=lambda m: m["email_address"])
        if request.args.get("status"):
            members = [m for m in members if m["status"] == request.args["status"]]
        window, total = _page(members)
        return ok({"members": window, "list_id": list_id, "total_items": total, "_links": []})

    @bp.get("/3.0/lists/<list_id>/members/<member>")
    @endpoint("read")
    def get_member(rule: FaultRule | None, list_id: str, member: str) -> Response:
        key = member if "@" not in member else subscriber_hash(member)
        found = site.members.get(f"{list_id}/{key}")
        return ok(found) if found else problem("ResourceNotFound")

    @bp.route("/3.0/lists/<list_id>/members", methods=["POST"], defaults={"member": ""})
    @bp.put("/3.0/lists/<list_id>/members/<member>")
    @endpoint("members", "publish")
    def upsert_member(rule: FaultRule | None, list_id: str, member: str) -> Response:
        body = _body()
        if isinstance(body, Response):
            return body
        email = str(body.get("email_address") or "")
        key = subscriber_hash(member) if "@" in member else member or subscriber_hash(email)
        existing = site.members.get(f"{list_id}/{key}")
        if request.method == "POST" and existing is not None:
            detail = f"{email} is already a list member. Use PUT to insert or update list members."
            return problem("BadRequest", detail)
        if existing is None:
            refused = new_member_problem(email, key, body, request.method)
            if refused is not None:
                return refused
        with store.lock:
            saved = site.members.setdefault(f"{list_id}/{key}", new_member(list_id, key, email))
            saved["status"] = body.get("status") or saved["status"] or body.get("status_if_new")
            saved["merge_fields"].update(body.get("merge_fields") or {})
            if request.method == "POST":
                saved["tags"] = [
                    {"id": i + 1, "name": t} for i, t in enumerate(body.get("tags", []))
                ]
            saved["tags_count"] = len(saved["tags"])
            saved["last_changed"] = stamp(utcnow())
        return _after_commit(rule) or ok(saved)

    @bp.post("/3.0/lists/<list_id>/members/<member>/tags")
    @endpoint("members", "publish")
    def member_tags(rule: FaultRule | None, list_id: str, member: str) -> Response:
        body = _body()
        if isinstance(body, Response):
            return body
        with store.lock:
            saved = site.members.get(f"{list_id}/{member}")
            if saved is None:
                return problem("ResourceNotFound")
            names = {t["name"] for t in saved["tags"]}
            for tag in body.get("tags") or []:
                if tag.get("status") == "inactive":
                    names.discard(tag.get("name"))
                else:
                    names.add(tag.get("name"))
            saved["tags"] = [{"id": i + 1, "name": n} for i, n in enumerate(sorted(names))]
            saved["tags_count"] = len(names)
        return _after_commit(rule) or Response(status=204)

    @bp.get("/3.0/reports/<campaign_id>")
    @endpoint("insights")
    def report(rule: FaultRule | None, campaign_id: str) -> Response:
        with store.lock:
            campaign = campaign_or_404(campaign_id)
            if campaign is None or campaign["status"] not in ("sending", "sent"):
                return problem("ResourceNotFound")
            return ok(site.report(campaign, utcnow()))

    @bp.get("/3.0/reports/<campaign_id>/email-activity")
    @endpoint("insights")
    def email_activity(rule: FaultRule | None, campaign_id: str) -> Response:
        with store.lock:
            campaign = campaign_or_404(campaign_id)
            if campaign is None or campaign["status"] not in ("sending", "sent"):
                return problem("ResourceNotFound")
            since = parse_time(request.args.get("since"))
            activity = site.activity(campaign, utcnow())
        list_id = campaign["recipients"]["list_id"]
        emails = [
            {
                "campaign_id": campaign_id, "list_id": list_id, "list_is_active": True,
                "email_id": subscriber_hash(email), "email_address": email,
                "activity": [
                    e for e in events if since is None or e["timestamp"] >= stamp(since)
                ],
                "_links": [],
            }
            for email, events in sorted(activity.items())
        ]  # fmt: skip
        window, total = _page(emails)
        return ok({"emails": window, "campaign_id": campaign_id, "total_items": total})

    @bp.get("/archive/<campaign_id>")
    def archive(campaign_id: str) -> Response:
        campaign = site.campaigns.get(campaign_id)
        if campaign is None:
            return Response("Not found", 404)
        return Response(campaign.get("_html") or "", 200, mimetype="text/html")

    @bp.route("/3.0/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @endpoint("read")
    def unknown(rule: FaultRule | None, rest: str) -> Response:
        return problem("ResourceNotFound")

    app.register_blueprint(bp)
