"""State and rules of the sandbox Mailchimp account (the HTTP routes are in mailchimp.py).

Reports are derived, not stored: each recipient's opens and clicks follow from a hash of the
campaign id and the address and from the seconds since sending, so the report and the
email-activity always agree and grow over time. Of n recipients round(0.55 n) open (first open
within the hour, up to three opens in all) and round(0.25 n) of those click, all within 1.5 h.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Response

from channels.sandbox.core import Store

PLATFORM = "mailchimp"
DOCS = "https://mailchimp.com/developer/marketing/docs/errors/"
OPEN_SHARE, CLICK_SHARE = 0.55, 0.25
SENDING_SECONDS = 1.0  # "sending" turns "sent" after this long
FAKE_DOMAINS = ("example.com", "example.org", "example.net", "test.com")

ERRORS: dict[str, tuple[int, str, str]] = {
    "BadRequest": (400, "Bad Request", "The request could not be processed."),
    "InvalidAction": (400, "Invalid Action", "The action you attempted is not allowed."),
    "InvalidResource": (400, "Invalid Resource", "The resource submitted could not be validated. "
                        "For field-specific details, see the 'errors' array."),
    "JSONParseError": (400, "JSON Parse Error", "We encountered an unspecified JSON parsing "
                       "error."),
    "NotReady": (400, "Bad Request", "Your Campaign is not ready to send."),
    "APIKeyMissing": (401, "API Key Missing", "Your request did not include an API key."),
    "APIKeyInvalid": (401, "API Key Invalid", "Your API key may be invalid, or you've attempted "
                      "to access the wrong datacenter."),
    "Forbidden": (403, "Forbidden", "You don't have permission to access this resource."),
    "UserDisabled": (403, "User Disabled", "This account has been disabled."),
    "WrongDatacenter": (403, "Wrong Datacenter", "The API key provided is linked to a different "
                        "datacenter."),
    "ResourceNotFound": (404, "Resource Not Found", "The requested resource could not be found."),
    "MethodNotAllowed": (405, "Method Not Allowed", "The requested method and resource are not "
                         "compatible."),
    "ResourceNestingTooDeep": (414, "Resource Nesting Too Deep", "The requested resource is "
                               "nested too deeply."),
    "InvalidMethodOverride": (422, "Invalid Method Override", "You can only use the "
                              "X-HTTP-Method-Override header with the POST method."),
    "RequestedFieldsInvalid": (422, "Requested Fields Invalid", "The fields requested from this "
                               "resource are invalid."),
    "TooManyRequests": (429, "Too Many Requests", "You have exceeded the limit of 10 "
                        "simultaneous connections."),
    "InternalServerError": (500, "Internal Server Error", "An unexpected internal error has "
                            "occurred. Please contact Support for more information."),
    "ComplianceRelated": (503, "Compliance Related", "This account is currently under "
                          "compliance review."),
    "MethodDisabled": (503, "Method Disabled", "This method has been disabled."),
    # Not Mailchimp's: what a proxy or load balancer in front of it answers when it is away.
    "ServiceUnavailable": (503, "Service Unavailable", "The server is temporarily unable to "
                           "service your request."),
}  # fmt: skip
BY_STATUS = {
    "400": "BadRequest",
    "401": "APIKeyInvalid",
    "403": "Forbidden",
    "404": "ResourceNotFound",
    "405": "MethodNotAllowed",
    "414": "ResourceNestingTooDeep",
    "422": "RequestedFieldsInvalid",
    "429": "TooManyRequests",
    "500": "InternalServerError",
    "503": "ComplianceRelated",
}


def problem(
    name: str, detail: str | None = None, errors: list[dict[str, str]] | None = None
) -> Response:
    """Answer with Mailchimp's problem+json error for a glossary name."""
    status, title, default = ERRORS[name]
    body: dict[str, Any] = {
        "type": DOCS,
        "title": title,
        "status": status,
        "detail": detail or default,
        "instance": str(uuid.uuid4()),
    }
    if errors:
        body["errors"] = errors
    return Response(json.dumps(body), status, mimetype="application/problem+json")


def fault_answer(code: str) -> Response:
    """The error a fault rule's code selects (a glossary name, a status, or "bare_403")."""
    if code == "bare_403":
        return Response(b"", 403)  # the throttle some users see: no body at all
    name = BY_STATUS.get(code, code)
    return problem(name if name in ERRORS else "InternalServerError")


def ok(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, mimetype="application/json; charset=utf-8")


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def number(value: Any, default: int) -> int:
    """A whole number from a query parameter, or `default` when it is missing or not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def subscriber_hash(email: str) -> str:
    return hashlib.md5(email.lower().encode()).hexdigest()


def _unit(*parts: str) -> float:
    """A number in [0, 1) fixed by its inputs."""
    digest = hashlib.md5("|".join(parts).encode()).hexdigest()
    return int(digest[:8], 16) / 2**32


def public(item: dict[str, Any]) -> dict[str, Any]:
    """The item without the sandbox's own bookkeeping keys (those starting with "_")."""
    return {k: v for k, v in item.items() if not k.startswith("_")}


def matches(member: dict[str, Any], segment: dict[str, Any] | None) -> bool:
    """Whether a member is in a segment built from TextMerge conditions (match any/all)."""
    if not segment or not segment.get("conditions"):
        return True
    results = []
    for condition in segment["conditions"]:
        value = str(member["merge_fields"].get(condition.get("field"), "")).casefold()
        wanted = str(condition.get("value", "")).casefold()
        op = condition.get("op")
        results.append(
            {
                "is": value == wanted,
                "not": value != wanted,
                "contains": wanted in value,
                "notcontain": wanted not in value,
                "starts": value.startswith(wanted),
                "ends": value.endswith(wanted),
                "blank": value == "",
                "blank_not": value != "",
            }.get(op, False)
        )
    return any(results) if segment.get("match", "any") == "any" else all(results)


def segment_problem(segment: Any) -> str | None:
    """Why segment_opts cannot be simulated, or None when it is fine."""
    if segment is None:
        return None
    if not isinstance(segment, dict):
        return "segment_opts must be an object"
    if "saved_segment_id" in segment:
        return "saved segments are not simulated; use conditions"
    if segment.get("match", "any") not in ("any", "all"):
        return "match must be any or all"
    for condition in segment.get("conditions") or []:
        if condition.get("condition_type") != "TextMerge" or not condition.get("field"):
            return "only TextMerge conditions with a field are simulated"
    return None


class Mailchimp:
    """The sandbox account: lists, members, campaigns and the derived reports."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @property
    def campaigns(self) -> dict[str, dict[str, Any]]:
        return self.store.collection(PLATFORM, "campaigns")

    @property
    def members(self) -> dict[str, dict[str, Any]]:
        return self.store.collection(PLATFORM, "members")

    def list_members(self, list_id: str) -> list[dict[str, Any]]:
        with self.store.lock:
            return [m for m in self.members.values() if m["list_id"] == list_id]

    def get_list(self, list_id: str) -> dict[str, Any]:
        """Every well-formed list id names a list; it is made on first use."""
        with self.store.lock:
            lists = self.store.collection(PLATFORM, "lists")
            if list_id not in lists:
                lists[list_id] = {
                    "id": list_id,
                    "web_id": int(_unit(list_id) * 1e6),
                    "name": f"Sandkasse-liste {list_id}",
                    "permission_reminder": "Du har tilmeldt dig vores nyhedsbrev.",
                    "campaign_defaults": {
                        "from_name": "",
                        "from_email": "",
                        "subject": "",
                        "language": "da",
                    },
                    "date_created": stamp(datetime.now(UTC)),
                    "list_rating": 0,
                    "email_type_option": False,
                    "visibility": "prv",
                }
            found = dict(lists[list_id])
        subscribed = [m for m in self.list_members(list_id) if m["status"] == "subscribed"]
        unsubscribed = [m for m in self.list_members(list_id) if m["status"] == "unsubscribed"]
        found["stats"] = {
            "member_count": len(subscribed),
            "unsubscribe_count": len(unsubscribed),
            "cleaned_count": 0,
            "campaign_count": sum(
                1 for c in self.campaigns.values() if c["recipients"]["list_id"] == list_id
            ),
        }
        found["_links"] = []
        return found

    def recipients(self, campaign: dict[str, Any]) -> list[str]:
        """Addresses the campaign goes to: subscribed members of its list in its segment."""
        list_id = campaign["recipients"].get("list_id", "")
        segment = campaign["recipients"].get("segment_opts")
        return sorted(
            m["email_address"]
            for m in self.list_members(list_id)
            if m["status"] == "subscribed" and matches(m, segment)
        )

    def advance(self, campaign: dict[str, Any], now: datetime) -> None:
        """Move a campaign along: sending → sent, schedule → sent when its time has come."""
        if campaign["status"] == "sending" and now >= campaign["_sent_at"] + timedelta(
            seconds=SENDING_SECONDS
        ):
            campaign["status"] = "sent"
        if campaign["status"] == "schedule":
            when = parse_time(campaign["send_time"])
            if when is not None and when <= now:
                self.start_sending(campaign, when)
                campaign["status"] = "sent"

    def start_sending(self, campaign: dict[str, Any], when: datetime) -> None:
        campaign["_recipients"] = self.recipients(campaign)
        campaign["_sent_at"] = when
        campaign["status"] = "sending"
        campaign["send_time"] = stamp(when)
        campaign["emails_sent"] = len(campaign["_recipients"])

    def checklist(self, campaign: dict[str, Any]) -> dict[str, Any]:
        """The send checklist: an error item per thing that stops sending."""
        settings = campaign["settings"]
        reply_to = str(settings.get("reply_to") or "")
        domain = reply_to.rsplit("@", 1)[-1].lower() if "@" in reply_to else ""
        checks = [
            (1, "Content", bool(campaign.get("_html") or campaign.get("_plain_text")),
             "You need to add content to your campaign."),
            (2, "Subject line", bool(settings.get("subject_line")), "Add a subject line."),
            (3, "From name", bool(settings.get("from_name")), "Add a from name."),
            (4, "Reply-to address", bool(domain), "Add a reply-to address."),
            (6, "Sender domain", not domain or not unverified(domain),
             f"{domain} is not a verified domain; verify it or use another address."),
            (5, "Recipients", bool(self.recipients(campaign)),
             "Your list or segment has no subscribed contacts."),
        ]  # fmt: skip
        items = [
            {"type": "success" if fine else "error", "id": n, "heading": heading,
             "details": "OK" if fine else details}
            for n, heading, fine, details in checks
        ]  # fmt: skip
        return {"is_ready": all(i["type"] == "success" for i in items), "items": items}

    # -- reports ------------------------------------------------------------------------------

    def activity(self, campaign: dict[str, Any], now: datetime) -> dict[str, list[dict[str, Any]]]:
        """Each recipient's opens and clicks up to `now` (empty lists before sending)."""
        recipients: list[str] = campaign.get("_recipients") or []
        sent_at: datetime | None = campaign.get("_sent_at")
        cid = campaign["id"]
        ranked = sorted(recipients, key=lambda e: _unit(cid, e, "rank"))
        openers = set(ranked[: round(OPEN_SHARE * len(ranked))])
        clickers = set(ranked[: round(CLICK_SHARE * len(ranked))])
        link = campaign.get("_link") or campaign["archive_url"]
        result: dict[str, list[dict[str, Any]]] = {}
        for email in recipients:
            events: list[tuple[float, dict[str, Any]]] = []
            if email in openers:
                first = 3600 * _unit(cid, email, "open") ** 2
                for k in range(1 + int(_unit(cid, email, "again") * 3)):
                    delay = first + k * 900 * _unit(cid, email, f"o{k}")
                    events.append((delay, {"action": "open", "type": ""}))
                if email in clickers:
                    delay = first + 600 * _unit(cid, email, "click")
                    events.append((delay, {"action": "click", "type": "", "url": link}))
            result[email] = [
                {**event, "timestamp": stamp(sent_at + timedelta(seconds=delay)), "ip": "127.0.0.1"}
                for delay, event in sorted(events, key=lambda pair: pair[0])
                if sent_at is not None and sent_at + timedelta(seconds=delay) <= now
            ]
        return result

    def report(self, campaign: dict[str, Any], now: datetime) -> dict[str, Any]:
        """The campaign report, consistent with `activity`."""
        activity = self.activity(campaign, now)
        sent = len(activity)
        opens = [e for events in activity.values() for e in events if e["action"] == "open"]
        clicks = [e for events in activity.values() for e in events if e["action"] == "click"]
        openers = sum(
            1 for events in activity.values() if any(e["action"] == "open" for e in events)
        )
        clickers = sum(
            1 for events in activity.values() if any(e["action"] == "click" for e in events)
        )

        def rate(n: int) -> float:
            return round(n / sent, 4) if sent else 0.0

        def last(events: list[dict[str, Any]]) -> str:
            return max((e["timestamp"] for e in events), default="")

        settings = campaign["settings"]
        return {
            "id": campaign["id"],
            "campaign_title": settings.get("title", ""),
            "type": campaign["type"],
            "list_id": campaign["recipients"].get("list_id", ""),
            "list_is_active": True,
            "list_name": campaign["recipients"].get("list_name", ""),
            "subject_line": settings.get("subject_line", ""),
            "preview_text": settings.get("preview_text", ""),
            "emails_sent": sent,
            "abuse_reports": 0,
            "unsubscribed": 0,
            "send_time": campaign["send_time"],
            "bounces": {"hard_bounces": 0, "soft_bounces": 0, "syntax_errors": 0},
            "forwards": {"forwards_count": 0, "forwards_opens": 0},
            "opens": {
                "opens_total": len(opens),
                "unique_opens": openers,
                "open_rate": rate(openers),
                "proxy_excluded_opens": len(opens),
                "proxy_excluded_unique_opens": openers,
                "proxy_excluded_open_rate": rate(openers),
                "last_open": last(opens),
            },
            "clicks": {
                "clicks_total": len(clicks),
                "unique_clicks": clickers,
                "unique_subscriber_clicks": clickers,
                "click_rate": rate(clickers),
                "last_click": last(clicks),
            },
            "facebook_likes": {"recipient_likes": 0, "unique_likes": 0, "facebook_likes": 0},
            "industry_stats": {
                "type": "Arts and Artists",
                "open_rate": 0.29,
                "click_rate": 0.031,
                "bounce_rate": 0.006,
                "unopen_rate": 0.71,
                "unsub_rate": 0.001,
                "abuse_rate": 0.0002,
            },
            "list_stats": {"sub_rate": 0, "unsub_rate": 0, "open_rate": 0, "click_rate": 0},
            "timeseries": [],
            "delivery_status": {"enabled": False},
            "_links": [],
        }


def unverified(domain: str) -> bool:
    """Domains the sandbox account has not verified: the reserved example ones."""
    return domain in FAKE_DOMAINS or domain.endswith((".example", ".invalid", ".test"))


DEMO_DOMAIN = "borger.kulturmetropolen.dk"


def seed_audience(
    store: Store, list_id: str, merge_field: str, values: list[str], per_value: int = 3
) -> int:
    """Subscribe `per_value` demo members for every merge-field value; return how many are in.

    The demo's newsletter then really sends: every municipality's segment has contacts. Safe to
    repeat (members are keyed by their subscriber hash).
    """
    site = Mailchimp(store)
    site.get_list(list_id)
    with store.lock:
        for value in values:
            for n in range(1, per_value + 1):
                email = f"abonnent{n}.{value}@{DEMO_DOMAIN}"
                key = subscriber_hash(email)
                member = site.members.setdefault(
                    f"{list_id}/{key}", new_member(list_id, key, email)
                )
                member["status"] = "subscribed"
                member["merge_fields"].update(
                    {merge_field: value, "FNAME": f"Abonnent {n}", "LNAME": value.title()}
                )
    return len([m for m in site.list_members(list_id) if m["status"] == "subscribed"])


def looks_fake(email: str) -> bool:
    """Mailchimp refuses obviously made-up addresses; so does the sandbox."""
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        return True
    return email.rsplit("@", 1)[1].lower() in FAKE_DOMAINS


def new_member_problem(email: str, key: str, body: dict[str, Any], method: str) -> Response | None:
    """Why a new member cannot be added, as the error answer; None when it can."""
    if not email:
        errors = [{"field": "email_address", "message": "This value should not be blank."}]
        return problem("InvalidResource", errors=errors)
    if looks_fake(email):
        return problem(
            "InvalidResource", f"{email} looks fake or invalid, please enter a real email address."
        )
    if subscriber_hash(email) != key:
        return problem("InvalidResource", "The subscriber hash does not match the email address.")
    status = (
        body.get("status") if method == "POST" else body.get("status_if_new") or body.get("status")
    )
    if status not in ("subscribed", "unsubscribed", "cleaned", "pending", "transactional"):
        field = "status" if method == "POST" else "status_if_new"
        return problem("InvalidResource", errors=[{"field": field, "message": "Invalid status."}])
    return None


def new_member(list_id: str, key: str, email: str) -> dict[str, Any]:
    """A member record with the fields Mailchimp returns."""
    now = stamp(datetime.now(UTC))
    return {
        "id": key, "email_address": email, "unique_email_id": key[:10],
        "contact_id": key[10:], "full_name": "", "web_id": int(key[:6], 16),
        "email_type": "html", "status": "",
        "merge_fields": {"FNAME": "", "LNAME": "", "ADDRESS": "", "PHONE": ""},
        "interests": {}, "stats": {"avg_open_rate": 0, "avg_click_rate": 0},
        "ip_signup": "", "timestamp_signup": now, "ip_opt": "", "timestamp_opt": now,
        "member_rating": 2, "last_changed": now, "language": "da", "vip": False,
        "email_client": "", "location": {}, "source": "API - Generic", "tags_count": 0,
        "tags": [], "list_id": list_id, "_links": [],
    }  # fmt: skip
