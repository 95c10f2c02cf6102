"""X API v2 sandbox, served under /x (platforms.md §6).

    POST   /x/2/tweets                  create (201; 403 duplicate within the window)
    DELETE /x/2/tweets/<id>             delete
    GET    /x/2/tweets/<id>             one post; public_metrics grow with its age
    GET    /x/2/users/<id>/tweets       a user's posts, newest first (start_time, end_time,
                                        max_results 5–100, pagination_token)
    GET    /x/2/users/me                the authenticated user
    POST   /x/2/media/upload            simple image upload (multipart `media`)

Any non-empty bearer token or OAuth 1.0a header is accepted; signatures are not checked. The
caller's user id is the digits before "-" in the OAuth access token (as in real X tokens), else
DEFAULT_USER_ID. Stored text is what X returns: URLs rewritten to t.co links (originals in
`entities.urls[].expanded_url`), a media link appended when images are attached, and &, <, >
escaped. Every answer carries x-rate-limit-* headers; limits are not enforced by themselves
(use a fault). `app.config["SANDBOX_X_DUPLICATE_WINDOW"]` (seconds, default 86400) is how long an
identical text by the same user is refused as a duplicate.

Fault ops: "publish" (create), "read" (lookups, timelines, users/me), "insights" (a post lookup
asking for public_metrics), "upload". Accepted `code` values for kind "error": "400", "401",
"403" (not permitted), "duplicate", "suspended", "404", "429", "24h" (daily user cap spent),
"usage-capped", "500", "503". kind "rate_limit" answers 429 with x-rate-limit-reset
`seconds` (default 2, at most 60) ahead; "expired_token" answers the 401 problem; "accept_then_500"
commits and answers 503.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from channels.sandbox.core import FaultRule, Faults, Store, fail_after_commit, now_ts
from channels.x_text import find_urls, weighted_length

PLATFORM = "x"
DEFAULT_USER_ID = "1700000000000000001"
DEFAULT_DUPLICATE_WINDOW = 86400.0
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
LIMITS = {"publish": 200, "read": 900, "insights": 900, "upload": 500}  # per 15 min
WINDOW = 15 * 60
INVALID = "https://api.twitter.com/2/problems/invalid-request"


def _problem(
    status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any
) -> Response:
    """An RFC 7807 problem body as X sends it."""
    body = {"title": title, "type": type_, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.content_type = "application/problem+json"
    return response


def _invalid(message: str, **parameters: Any) -> Response:
    detail = "One or more parameters to your request was invalid."
    errors = [{"parameters": parameters, "message": message}]
    return _problem(400, "Invalid Request", detail, INVALID, errors=errors)


ERRORS = {
    "400": lambda: _invalid("The request is invalid."),
    "401": lambda: _problem(401, "Unauthorized", "Unauthorized"),
    "403": lambda: _problem(403, "Forbidden", "You are not permitted to perform this action."),
    "duplicate": lambda: _problem(
        403, "Forbidden", "You are not allowed to create a Tweet with duplicate content."
    ),
    "suspended": lambda: _problem(
        403, "Forbidden", "Your account is suspended and is not permitted to access this feature."
    ),
    "404": lambda: _problem(404, "Not Found Error", "Could not find the requested resource."),
    "500": lambda: _problem(500, "Internal Server Error", "Internal Server Error"),
    "503": lambda: _problem(503, "Service Unavailable", "Service Unavailable"),
}


def _too_many(seconds: float, daily: bool = False, capped: bool = False) -> Response:
    reset = int(time.time() + math.ceil(min(max(seconds or 2.0, 1.0), 60.0)))
    if capped:
        response = _problem(
            429, "UsageCapExceeded", "Usage cap exceeded: Monthly product cap",
            "https://api.twitter.com/2/problems/usage-capped",
        )  # fmt: skip
    else:
        response = _problem(429, "Too Many Requests", "Too Many Requests")
    response.headers["x-rate-limit-limit"] = "200"
    response.headers["x-rate-limit-remaining"] = "150" if daily else "0"
    response.headers["x-rate-limit-reset"] = str(reset)
    if daily:
        response.headers["x-user-limit-24hour-limit"] = "17"
        response.headers["x-user-limit-24hour-remaining"] = "0"
        response.headers["x-user-limit-24hour-reset"] = str(reset)
    return response


def _fault_answer(rule: FaultRule) -> Response | None:
    """The answer for a fault that acts before anything is committed, or None."""
    if rule.kind == "latency":
        time.sleep(rule.seconds)
        return None
    if rule.kind == "expired_token":
        return ERRORS["401"]()
    if rule.kind == "rate_limit" or (rule.kind == "error" and rule.code == "429"):
        return _too_many(rule.seconds)
    if rule.kind == "error":
        if rule.code == "24h":
            return _too_many(rule.seconds, daily=True)
        if rule.code == "usage-capped":
            return _too_many(rule.seconds, capped=True)
        return ERRORS.get(rule.code, ERRORS["500"])()
    return None


def _caller() -> str | None:
    """The user id behind the Authorization header, or None when there is no credential."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme == "Bearer" and value.strip():
        token = value.strip()
    elif scheme == "OAuth":
        match = re.search(r'oauth_token="([^"]*)"', value)
        token = unquote(match.group(1)) if match else ""
        if not token:
            return None
    else:
        return None
    user = re.match(r"^(\d+)-", token)
    return user.group(1) if user else DEFAULT_USER_ID


def _iso(ts: float) -> str:
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _parse_time(value: str) -> float | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _short_code(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:10]


def _render_text(tweet_id: str, text: str, media: list[str], username: str) -> dict[str, Any]:
    """What X stores: escaped text with t.co links and their entities."""
    out, urls, pos = "", [], 0

    def add_link(expanded: str, n: int, **extra: Any) -> None:
        nonlocal out
        short = f"https://t.co/{_short_code(f'{tweet_id}/{n}')}"
        urls.append(
            {"start": len(out), "end": len(out) + len(short), "url": short,
             "expanded_url": expanded,
             "display_url": re.sub(r"^https?://", "", expanded)[:26], **extra}
        )  # fmt: skip
        out += short

    for n, (start, end) in enumerate(find_urls(text)):
        out += html.escape(text[pos:start], quote=False)
        url = text[start:end]
        add_link(url if re.match(r"https?://", url, re.I) else f"http://{url}", n)
        pos = end
    out += html.escape(text[pos:], quote=False)
    if media:
        out += " " if out else ""
        expanded = f"https://x.com/{username}/status/{tweet_id}/photo/1"
        add_link(expanded, len(urls), media_key=f"3_{media[0]}")
    return {"text": out, "entities": {"urls": urls} if urls else {}}


def _metrics(tweet: dict[str, Any]) -> dict[str, int]:
    """Public metrics that grow with the post's age, deterministic per id."""
    age = max(0.0, now_ts() - tweet["created_ts"])
    factor = 0.5 + int(hashlib.sha256(tweet["id"].encode()).hexdigest()[:4], 16) / 65535
    views = int(factor * 25 * math.sqrt(age))
    return {
        "retweet_count": views // 60,
        "reply_count": views // 120,
        "like_count": views // 25,
        "quote_count": views // 300,
        "bookmark_count": views // 200,
        "impression_count": views,
    }


def _view(tweet: dict[str, Any], fields: set[str]) -> dict[str, Any]:
    data = {k: tweet[k] for k in ("id", "text", "edit_history_tweet_ids")}
    if "created_at" in fields:
        data["created_at"] = tweet["created_at"]
    if "author_id" in fields:
        data["author_id"] = tweet["author_id"]
    if "entities" in fields and tweet["entities"]:
        data["entities"] = tweet["entities"]
    if "attachments" in fields and tweet["media_ids"]:
        data["attachments"] = {"media_keys": [f"3_{m}" for m in tweet["media_ids"]]}
    if "public_metrics" in fields:
        data["public_metrics"] = _metrics(tweet)
    return data


def register(app: Flask, store: Store, faults: Faults, prefix: str) -> None:
    """Serve the X API v2 subset under `prefix` (/x)."""
    bp = Blueprint("sandbox_x", __name__, url_prefix=prefix)

    def tweets() -> dict[str, dict[str, Any]]:
        return store.collection(PLATFORM, "tweets")

    def media() -> dict[str, dict[str, Any]]:
        return store.collection(PLATFORM, "media")

    counters: dict[tuple[str, str, int], int] = {}
    # (author, text) → newest post id, so the duplicate check does not scan every post; an
    # entry left over from before a reset points at nothing and is ignored.
    last_by_text: dict[tuple[str, str], str] = {}
    counter_lock = threading.Lock()

    def limit_headers(response: Response, user: str, op: str) -> Response:
        window = int(time.time()) // WINDOW
        with counter_lock:
            used = counters[(user, op, window)] = counters.get((user, op, window), 0) + 1
        response.headers.setdefault("x-rate-limit-limit", str(LIMITS[op]))
        response.headers.setdefault("x-rate-limit-remaining", str(max(0, LIMITS[op] - used)))
        response.headers.setdefault("x-rate-limit-reset", str((window + 1) * WINDOW))
        return response

    def begin(op: str) -> tuple[FaultRule | None, str | Response]:
        """Apply latency and early faults; return the rule and the caller (or an answer)."""
        if faults.latency:
            time.sleep(faults.latency)
        rule = faults.pick(PLATFORM, op)
        if rule is not None:
            answer = _fault_answer(rule)
            if answer is not None:
                return rule, answer
        user = _caller()
        if user is None:
            return rule, ERRORS["401"]()
        return rule, user

    def finish(rule: FaultRule | None, answer: Response, user: str, op: str) -> Response:
        """Apply an accept-then-fail rule (the work is done by now), else add limit headers."""
        if rule is not None:
            fail_after_commit(rule, request.environ)
            if rule.kind == "accept_then_500":
                return ERRORS["503"]()
        return limit_headers(answer, user, op)

    @bp.post("/2/tweets")
    def create_tweet() -> Response:
        rule, user = begin("publish")
        if isinstance(user, Response):
            return user
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _invalid("Request body must be a JSON object.")
        text = body.get("text") or ""
        media_ids = [str(m) for m in (body.get("media") or {}).get("media_ids") or []]
        if not isinstance(text, str) or (not text and not media_ids):
            return _invalid("Tweet text or media is required.", text=[text])
        if len(media_ids) > 4:
            return _invalid("Too many media ids (at most 4).", media_ids=media_ids)
        if any(m not in media() for m in media_ids):
            return _invalid("Your media IDs are invalid.", media_ids=media_ids)
        if weighted_length(text) > 280:  # v2's answer is unconfirmed; Postiz sees this 403
            return ERRORS["403"]()
        window = float(current_app.config.get("SANDBOX_X_DUPLICATE_WINDOW", 86400.0))
        now = time.time()
        with store.lock:
            other = tweets().get(last_by_text.get((user, text), ""))
            if (
                other is not None
                and other["status"] == "published"
                and other["raw_text"] == text
                and now - other["created_ts"] < window
            ):
                return ERRORS["duplicate"]()
            tweet_id = store.new_id()
            last_by_text[(user, text)] = tweet_id
            tweet = {
                "id": tweet_id, "author_id": user, "raw_text": text, "media_ids": media_ids,
                "edit_history_tweet_ids": [tweet_id], "created_ts": now,
                "created_at": _iso(now), "status": "published",
                **_render_text(tweet_id, text, media_ids, f"user{user[-4:]}"),
            }  # fmt: skip
            tweets()[tweet_id] = tweet
        data = {k: tweet[k] for k in ("id", "text", "edit_history_tweet_ids")}
        response = jsonify({"data": data})
        response.status_code = 201
        response.headers["location"] = f"https://api.twitter.com/2/tweets/{tweet_id}"
        return finish(rule, response, user, "publish")

    def visible(tweet_id: str) -> dict[str, Any] | None:
        tweet = tweets().get(tweet_id)
        return tweet if tweet and tweet["status"] == "published" else None

    def not_found(tweet_id: str) -> Response:
        return jsonify(
            {"errors": [{
                "value": tweet_id, "detail": f"Could not find tweet with id: [{tweet_id}].",
                "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                "resource_id": tweet_id,
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }]}
        )  # fmt: skip

    @bp.delete("/2/tweets/<tweet_id>")
    def delete_tweet(tweet_id: str) -> Response:
        rule, user = begin("publish")
        if isinstance(user, Response):
            return user
        with store.lock:
            tweet = visible(tweet_id)
            if tweet is not None:
                tweet["status"] = "deleted"
        return finish(rule, jsonify({"data": {"deleted": tweet is not None}}), user, "publish")

    def fields() -> set[str]:
        return {f.strip() for f in request.args.get("tweet.fields", "").split(",") if f.strip()}

    @bp.get("/2/tweets/<tweet_id>")
    def get_tweet(tweet_id: str) -> Response:
        op = "insights" if "public_metrics" in fields() else "read"
        rule, user = begin(op)
        if isinstance(user, Response):
            return user
        if not tweet_id.isdigit():
            detail = f"The `id` query parameter value [{tweet_id}] is not valid"
            return _invalid(detail, id=[tweet_id])
        tweet = visible(tweet_id)
        answer = jsonify({"data": _view(tweet, fields())}) if tweet else not_found(tweet_id)
        return finish(rule, answer, user, op)

    @bp.get("/2/users/me")
    def users_me() -> Response:
        rule, user = begin("read")
        if isinstance(user, Response):
            return user
        data = {"id": user, "name": "Sandbox Kultur", "username": f"user{user[-4:]}"}
        return finish(rule, jsonify({"data": data}), user, "read")

    @bp.get("/2/users/<user_id>/tweets")
    def user_tweets(user_id: str) -> Response:
        rule, user = begin("read")
        if isinstance(user, Response):
            return user
        args = request.args
        start = _parse_time(args["start_time"]) if "start_time" in args else 0.0
        end = _parse_time(args["end_time"]) if "end_time" in args else math.inf
        try:
            size = int(args.get("max_results", 10))
            offset = int(args.get("pagination_token", "0") or 0)
        except ValueError:
            return _invalid("max_results and pagination_token must be numbers.")
        if not user_id.isdigit() or start is None or end is None or not 5 <= size <= 100:
            return _invalid("One or more parameters are not valid.", id=[user_id])
        with store.lock:
            found = [
                t for t in tweets().values()
                if t["author_id"] == user_id and t["status"] == "published"
                and start <= t["created_ts"] <= end
            ]  # fmt: skip
        found.sort(key=lambda t: (t["created_ts"], int(t["id"])), reverse=True)
        page = found[offset : offset + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + size < len(found):
            meta["next_token"] = str(offset + size)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = [_view(t, fields()) for t in page]
        return finish(rule, jsonify(body), user, "read")

    @bp.post("/2/media/upload")
    def upload_media() -> Response:
        rule, user = begin("upload")
        if isinstance(user, Response):
            return user
        upload = request.files.get("media")
        if upload is None:
            return _invalid("The `media` field is required.")
        content = upload.read()
        mime = upload.mimetype or "application/octet-stream"
        if mime not in IMAGE_TYPES:
            return _invalid(f"Media type {mime} is not supported.", media_type=[mime])
        if len(content) > MAX_IMAGE_BYTES:
            return _invalid(f"File size exceeds {MAX_IMAGE_BYTES} bytes.")
        media_id = store.new_id()
        now = time.time()
        item = {
            "id": media_id, "media_key": f"3_{media_id}", "size": len(content), "type": mime,
            "filename": upload.filename or "", "author_id": user, "status": "uploaded",
            "media_category": request.form.get("media_category", "tweet_image"),
            "created_ts": now, "created_at": _iso(now),
        }  # fmt: skip
        media()[media_id] = item
        data = {
            "id": media_id, "media_key": item["media_key"], "size": len(content),
            "expires_after_secs": 86400, "image": {"image_type": mime, "w": 0, "h": 0},
        }  # fmt: skip
        return finish(rule, jsonify({"data": data}), user, "upload")

    app.register_blueprint(bp)
