"""State and rules of the sandbox WordPress site (the HTTP routes are in wordpress.py)."""

from __future__ import annotations

import hashlib
import html
import json
import math
import re
import time
from datetime import UTC, datetime
from typing import Any

from flask import Response, request

from channels.sandbox.core import FaultRule, Faults, Store, fail_after_commit

PLATFORM = "wordpress"
STATUSES = ("publish", "future", "draft", "pending", "private")
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
CRITICAL = (
    "<p>There has been a critical error on this website.</p><p><a "
    'href="https://wordpress.org/documentation/article/faq-troubleshooting/">'
    "Learn more about troubleshooting WordPress.</a></p>"
)
ERRORS: dict[str, tuple[int, str]] = {
    "incorrect_password": (401, "The provided password is an invalid application password."),
    "invalid_username": (401, "Unknown username. Check again or try your email address."),
    "rest_cannot_create": (403, "Sorry, you are not allowed to create posts as this user."),
    "rest_forbidden": (403, "Sorry, you are not allowed to do that."),
    "rest_invalid_param": (400, "Invalid parameter(s): slug"),
    "rest_post_invalid_id": (404, "Invalid post ID."),
    "rest_no_route": (404, "No route was found matching the URL and request method."),
    "rest_cookie_invalid_nonce": (403, "Cookie check failed"),
    "internal_server_error": (500, CRITICAL),
    "rest_upload_no_data": (400, "No data supplied."),
    "rest_upload_no_content_type": (400, "No Content-Type supplied."),
    "rest_upload_no_content_disposition": (400, "No Content-Disposition supplied."),
    "rest_upload_invalid_disposition": (400, "Invalid Content-Disposition supplied."),
    "rest_upload_hash_mismatch": (412, "Content hash did not match expected."),
    "rest_upload_sideload_error": (500, "Sorry, you are not allowed to upload this file type."),
    "rest_upload_unknown_error": (500, "Unknown error."),
    "rest_upload_image_type_not_supported": (400, "The web server cannot generate sizes."),
    "rest_upload_file_too_big": (400, "This file is too big. Files must be less than 2 MB."),
}
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>Access denied</title></head><body>"
    "<h1>Access denied</h1><p>This request was blocked by the site's security rules.</p>"
    "</body></html>"
)


def wp_error(code: str, message: str, status: int, **data: Any) -> Response:
    """Answer with WordPress's error shape."""
    body = {"code": code, "message": message, "data": {"status": status, **data}}
    return Response(json.dumps(body), status, mimetype="application/json")


def ok(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, mimetype="application/json")


def _fault_answer(rule: FaultRule) -> Response:
    code, _, status_text = (rule.code or "internal_server_error").partition("/")
    if code == "html_error":
        return Response(HTML_PAGE, int(status_text or 403), mimetype="text/html")
    status, message = ERRORS.get(code, (500, CRITICAL))
    status = int(status_text or status)
    if code == "rest_invalid_param":
        return wp_error(code, message, status, params={"slug": "Invalid slug."})
    return wp_error(code, message, status)


def early_fault(rule: FaultRule | None) -> Response | None:
    """Apply the faults that answer before anything is committed."""
    if rule is None:
        return None
    if rule.kind == "latency":
        time.sleep(rule.seconds)
    elif rule.kind == "error":
        return _fault_answer(rule)
    elif rule.kind == "rate_limit":
        wait = str(int(rule.seconds or 30))
        response = wp_error("rest_too_many_requests", "Too many requests.", 429)
        response.headers["Retry-After"] = wait
        return response
    elif rule.kind == "expired_token":
        return wp_error("incorrect_password", ERRORS["incorrect_password"][1], 401)
    return None


def after_commit(rule: FaultRule | None) -> Response | None:
    if rule is None:
        return None
    if rule.kind == "accept_then_500":
        return wp_error("internal_server_error", CRITICAL, 500)
    fail_after_commit(rule, request.environ)
    return None


def number(value: Any, default: int) -> int:
    """A whole number from a query parameter, or `default` when it is missing or not one."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def sanitize_title(text: str) -> str:
    """Make a slug the way WordPress's sanitize_title does, for Danish letters too."""
    text = text.lower()
    for src, dst in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(src, dst)
    text = re.sub(r"[^a-z0-9_\-\s]", "", text)
    return re.sub(r"[\s-]+", "-", text).strip("-")[:200]


def _parse_gmt(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _wp_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class WordPress:
    """The sandbox site's state and rules; one per sandbox app."""

    def __init__(self, store: Store, faults: Faults) -> None:
        self.store = store
        self.faults = faults
        self.files: dict[str, bytes] = {}  # uploaded bytes by file name

    @property
    def posts(self) -> dict[str, dict[str, Any]]:
        return self.store.collection(PLATFORM, "posts")

    @property
    def media(self) -> dict[str, dict[str, Any]]:
        return self.store.collection(PLATFORM, "media")

    def terms(self, taxonomy: str) -> dict[str, dict[str, Any]]:
        return self.store.collection(PLATFORM, taxonomy)

    # -- rules --------------------------------------------------------------------------------

    def run_cron(self, now: datetime) -> None:
        """Publish future posts whose time has come (WordPress's publish_future_post)."""
        with self.store.lock:
            for post in self.posts.values():
                if post["status"] == "future" and post["date_gmt"] <= now:
                    post["status"] = "publish"

    def unique_slug(self, slug: str, post_id: int, status: str) -> str:
        """Return `slug`, suffixed -2, -3, … when taken; drafts and pending keep theirs."""
        if status in ("draft", "pending") or not slug:
            return slug
        taken = {p["slug"] for p in self.posts.values() if p["id"] != post_id}
        candidate, n = slug, 2
        while candidate in taken:
            candidate, n = f"{slug}-{n}", n + 1
        return candidate

    def apply(self, post: dict[str, Any], fields: dict[str, Any], now: datetime) -> Response | None:
        """Apply create/update fields with wp_insert_post's rules; an error answer or None."""
        status = fields.get("status", post.get("status", "draft"))
        if status not in STATUSES:
            message = "status is not one of publish, future, draft, pending, private."
            return wp_error(
                "rest_invalid_param",
                "Invalid parameter(s): status",
                400,
                params={"status": message},
            )
        if "date_gmt" in fields:
            when = _parse_gmt(fields["date_gmt"])
            if when is None:
                return wp_error(
                    "rest_invalid_param",
                    "Invalid parameter(s): date_gmt",
                    400,
                    params={"date_gmt": "Invalid date."},
                )
            post["date_gmt"], post["floating"] = when, False
        elif status in ("publish", "future") and post.get("floating", True):
            post["date_gmt"] = now  # a draft's floating date becomes the moment of publishing
            post["floating"] = False
        for key in ("title", "content", "excerpt"):
            if key in fields:
                value = fields[key]
                post[key] = value.get("raw", "") if isinstance(value, dict) else str(value)
        for key in ("categories", "tags", "featured_media"):
            value = fields.get(key)
            ids = value if isinstance(value, list) else [value]
            if key in fields and not all(isinstance(v, int) or str(v).isdigit() for v in ids):
                return wp_error(
                    "rest_invalid_param",
                    f"Invalid parameter(s): {key}",
                    400,
                    params={key: f"{key} is not of type integer."},
                )
        for key in ("categories", "tags"):
            if key in fields:
                post[key] = [int(v) for v in fields[key] or []]
        if "featured_media" in fields:
            post["featured_media"] = int(fields["featured_media"] or 0)
        ahead = (post["date_gmt"] - now).total_seconds()
        if status == "publish" and ahead >= 60:
            status = "future"
        elif status == "future" and ahead < 60:
            status = "publish"
        post["status"] = status
        slug = sanitize_title(str(fields["slug"])) if "slug" in fields else post.get("slug", "")
        if not slug and status not in ("draft", "pending"):
            slug = sanitize_title(post.get("title", "")) or str(post["id"])
        post["slug"] = self.unique_slug(slug, post["id"], status)
        post["modified_gmt"] = now
        return None

    # -- rendering ----------------------------------------------------------------------------

    def post_json(self, post: dict[str, Any], root: str, edit: bool) -> dict[str, Any]:
        """Render a post the way the REST API does (raw fields only in context=edit)."""
        when = post["date_gmt"]
        if post["status"] == "publish":
            link = f"{root}/{when:%Y/%m/%d}/{post['slug']}/"
        else:
            link = f"{root}/?p={post['id']}"

        def text(value: str, **more: Any) -> dict[str, Any]:
            return {"rendered": value, **more, **({"raw": value} if edit else {})}

        body = {
            "id": post["id"],
            "date": _wp_time(when),
            "date_gmt": _wp_time(when),
            "guid": text(f"{root}/?p={post['id']}"),
            "modified": _wp_time(post["modified_gmt"]),
            "modified_gmt": _wp_time(post["modified_gmt"]),
            "slug": post["slug"],
            "status": post["status"],
            "type": "post",
            "link": link,
            "title": text(html.escape(post["title"], quote=False)),
            "content": text(post["content"], protected=False, block_version=0),
            "excerpt": text(post.get("excerpt", ""), protected=False),
            "author": post["author"],
            "featured_media": post.get("featured_media", 0),
            "comment_status": "open",
            "ping_status": "open",
            "sticky": False,
            "template": "",
            "format": "standard",
            "meta": [],
            "categories": post.get("categories", []),
            "tags": post.get("tags", []),
            "_links": {"self": [{"href": f"{root}/wp-json/wp/v2/posts/{post['id']}"}]},
        }
        if edit:
            body["generated_slug"] = post["slug"] or sanitize_title(post["title"])
        return body

    def views(self, post: dict[str, Any], now: datetime) -> tuple[int, int]:
        """Views and visitors: zero until published, then growing, fixed per post id."""
        if post["status"] != "publish":
            return 0, 0
        elapsed = max(0.0, (now - post["date_gmt"]).total_seconds())
        factor = 1 + int(hashlib.md5(str(post["id"]).encode()).hexdigest()[:4], 16) % 200 / 100
        views = int(factor * 25 * math.log1p(elapsed / 60))
        return views, int(views * 0.72)
