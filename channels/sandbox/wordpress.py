"""Sandbox WordPress: the REST routes the website adapter uses, under /wordpress (§5).

    POST/GET  /wp-json/wp/v2/posts            create (201 + Location) / list (slug, status, …)
    GET/POST  /wp-json/wp/v2/posts/{id}       read / update (publish, future + date_gmt)
    POST      /wp-json/wp/v2/media            raw body + Content-Disposition, or multipart "file"
                                              (query: alt_text, title, slug)
    GET       /wp-json/wp/v2/media            list (slug, search, parent)
    DELETE    /wp-json/wp/v2/media/{id}       ?force=true deletes (media has no trash)
    DELETE    /wp-json/wp/v2/posts/{id}       trash, or ?force=true delete
    GET/POST  /wp-json/wp/v2/categories|tags  list (search, slug) / create (400 term_exists)
    GET       /wp-json/wp/v2/users/me         the application-password user
    GET       /wp-json/publisher-stats/v1/posts/{id}   views and visitors growing after publication
    GET       /{yyyy}/{mm}/{dd}/{slug}/, /?p={id}, /wp-content/uploads/…   the public site

Core rules kept: `wp_insert_post`'s 60-second rule (publish ≥ 60 s ahead is stored as future,
future < 60 s ahead as publish; attachments exempt); drafts and pending posts keep the slug asked
for, any other status gets `-2`, `-3`, … when the slug is taken (the double-post signature); a
future post turns into publish once its date has passed ("cron" runs lazily on every call).
Any non-empty user:password in Basic auth is accepted.

Fault ops: "upload" (media), "publish" (every write), narrowed by "create" (new posts), "update"
(post updates) and "terms" (term creation), which are tried first; "read"; "insights" (stats).
Codes for kind "error" — an error code, optionally "/<status>": incorrect_password,
invalid_username, rest_cannot_create (403; "/401" for unauthenticated), rest_forbidden,
rest_invalid_param, rest_post_invalid_id, rest_no_route, rest_cookie_invalid_nonce,
internal_server_error (the default), any rest_upload_* code of §5.3, and html_error (an HTML page
from a security plugin, 403 unless "/<status>" says otherwise, e.g. "html_error/200" or "/503").
"rate_limit" answers 429 with Retry-After (`seconds`, default 30), as a host's WAF would.
"""

from __future__ import annotations

import hashlib
import html
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, Flask, Response, request

from channels.sandbox.core import FaultRule, Faults, Store, utcnow
from channels.sandbox.wordpress_site import (
    ERRORS,
    IMAGE_TYPES,
    PLATFORM,
    WordPress,
    after_commit,
    early_fault,
    number,
    ok,
    sanitize_title,
    wp_error,
)

Handler = Callable[..., Response]
TAXONOMIES = {"categories": "category", "tags": "post_tag"}


def _user() -> tuple[str, str] | None:
    auth = request.authorization
    if auth is None or auth.type != "basic" or not auth.username or not auth.password:
        return None
    return auth.username, auth.password


def _user_id(name: str) -> int:
    return 1 + int(hashlib.md5(name.encode()).hexdigest()[:4], 16) % 1000


def _root(prefix: str) -> str:
    return request.host_url.rstrip("/") + prefix


def _fields() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        return body
    return {k: v for k, v in request.values.items()}


def _not_allowed(what: str = "create posts") -> Response:
    return wp_error(
        "rest_cannot_create", f"Sorry, you are not allowed to {what} as this user.", 401
    )


def register(app: Flask, store: Store, faults: Faults, prefix: str) -> None:
    """Serve the sandbox WordPress site under `prefix` (/wordpress)."""
    site = WordPress(store, faults)
    bp = Blueprint("sandbox_wordpress", __name__, url_prefix=prefix)

    def endpoint(*ops: str) -> Callable[[Handler], Handler]:
        """Wrap a handler: base latency, the first matching fault rule, lazy cron."""

        def decorate(fn: Handler) -> Handler:
            @wraps(fn)
            def wrapped(**kwargs: Any) -> Response:
                if faults.latency:
                    time.sleep(faults.latency)
                rule = None
                for op in ops:
                    rule = faults.pick(PLATFORM, op)
                    if rule is not None:
                        break
                answer = early_fault(rule)
                if answer is not None:
                    return answer
                site.run_cron(utcnow())
                return fn(rule, **kwargs)

            return wrapped

        return decorate

    @bp.post("/wp-json/wp/v2/posts")
    @endpoint("create", "publish")
    def create_post(rule: FaultRule | None) -> Response:
        user = _user()
        if user is None:
            return _not_allowed()
        fields = _fields()
        if not any(str(fields.get(k) or "").strip() for k in ("title", "content", "excerpt")):
            return wp_error("empty_content", "Content, title, and excerpt are empty.", 400)
        now = utcnow()
        with store.lock:
            post_id = int(store.new_id())
            post: dict[str, Any] = {
                "id": post_id,
                "author": _user_id(user[0]),
                "date_gmt": now,
                "floating": True,
                "title": "",
                "content": "",
                "slug": "",
                "created_gmt": now,
            }
            error = site.apply(post, {"status": "draft", **fields}, now)
            if error is not None:
                return error
            site.posts[str(post_id)] = post
        failed = after_commit(rule)
        if failed is not None:
            return failed
        location = f"{_root(prefix)}/wp-json/wp/v2/posts/{post_id}"
        return ok(site.post_json(post, _root(prefix), edit=True), 201, {"Location": location})

    @bp.post("/wp-json/wp/v2/posts/<int:post_id>")
    @bp.put("/wp-json/wp/v2/posts/<int:post_id>")
    @bp.patch("/wp-json/wp/v2/posts/<int:post_id>")
    @endpoint("update", "publish")
    def update_post(rule: FaultRule | None, post_id: int) -> Response:
        if _user() is None:
            return wp_error(
                "rest_cannot_edit", "Sorry, you are not allowed to edit this post.", 401
            )
        with store.lock:
            post = site.posts.get(str(post_id))
            if post is None:
                return wp_error("rest_post_invalid_id", "Invalid post ID.", 404)
            error = site.apply(post, _fields(), utcnow())
            if error is not None:
                return error
        failed = after_commit(rule)
        if failed is not None:
            return failed
        return ok(site.post_json(post, _root(prefix), edit=True))

    @bp.get("/wp-json/wp/v2/posts/<int:post_id>")
    @endpoint("read")
    def get_post(rule: FaultRule | None, post_id: int) -> Response:
        edit = request.args.get("context") == "edit"
        if edit and _user() is None:
            return wp_error(
                "rest_forbidden_context", "Sorry, you are not allowed to edit this post.", 401
            )
        post = site.posts.get(str(post_id))
        if post is None or (post["status"] != "publish" and _user() is None):
            return wp_error("rest_post_invalid_id", "Invalid post ID.", 404)
        return ok(site.post_json(post, _root(prefix), edit=edit))

    @bp.get("/wp-json/wp/v2/posts")
    @endpoint("read")
    def list_posts(rule: FaultRule | None) -> Response:
        args = request.args
        statuses = [s for s in args.get("status", "publish").split(",") if s]
        edit = args.get("context") == "edit"
        if (edit or statuses != ["publish"]) and _user() is None:
            return wp_error("rest_forbidden_status", "Status is forbidden.", 401)
        per_page, page = number(args.get("per_page"), 10), number(args.get("page"), 1)
        if not 1 <= per_page <= 100:
            return wp_error(
                "rest_invalid_param",
                "Invalid parameter(s): per_page",
                400,
                params={"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
            )
        slugs = {s for s in args.get("slug", "").split(",") if s}
        search = args.get("search", "").casefold()
        with store.lock:
            found = [
                p
                for p in site.posts.values()
                if p["status"] in statuses
                and (not slugs or p["slug"] in slugs)
                and (not search or search in (p["title"] + p["content"]).casefold())
            ]
        key = "id" if args.get("orderby") == "id" else "date_gmt"
        found.sort(key=lambda p: p[key], reverse=args.get("order", "desc") == "desc")
        total = len(found)
        window = found[(page - 1) * per_page : page * per_page]
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(-(-total // per_page))}
        return ok([site.post_json(p, _root(prefix), edit=edit) for p in window], 200, headers)

    @bp.post("/wp-json/wp/v2/media")
    @endpoint("upload")
    def upload(rule: FaultRule | None) -> Response:
        if _user() is None:
            return _not_allowed("upload media")
        upload = request.files.get("file")
        if upload is not None:
            data, mime, filename = upload.read(), upload.mimetype, upload.filename or ""
        else:
            data, mime = request.get_data(), request.mimetype
            disposition = request.headers.get("Content-Disposition", "")
            if not data:
                return wp_error("rest_upload_no_data", ERRORS["rest_upload_no_data"][1], 400)
            if not mime:
                return wp_error(
                    "rest_upload_no_content_type", ERRORS["rest_upload_no_content_type"][1], 400
                )
            if not disposition:
                code = "rest_upload_no_content_disposition"
                return wp_error(code, ERRORS[code][1], 400)
            filename = disposition.partition("filename=")[2].strip().strip('"')
            if not filename:
                code = "rest_upload_invalid_disposition"
                return wp_error(code, ERRORS[code][1], 400)
        expected_md5 = request.headers.get("Content-MD5")
        if expected_md5 and expected_md5 != hashlib.md5(data).hexdigest():
            code = "rest_upload_hash_mismatch"
            return wp_error(code, ERRORS[code][1], 412)
        if mime not in IMAGE_TYPES:
            code = "rest_upload_sideload_error"
            return wp_error(code, ERRORS[code][1], 500)
        return _store_media(rule, data, mime, filename)

    def _store_media(rule: FaultRule | None, data: bytes, mime: str, filename: str) -> Response:
        now = utcnow()
        with store.lock:
            media_id = int(store.new_id())
            name = f"{now:%Y/%m}/{media_id}-{sanitize_title(filename) or 'image'}"
            asked = sanitize_title(request.args.get("slug", ""))
            taken = {m["slug"] for m in site.media.values()}
            slug = asked if asked and asked not in taken else f"{asked}-2" if asked else ""
            title = request.args.get("title") or filename
            item = {
                "id": media_id,
                "date_gmt": now.strftime("%Y-%m-%dT%H:%M:%S"),
                "slug": slug or str(media_id),
                "status": "inherit",
                "type": "attachment",
                "title": {"rendered": html.escape(title), "raw": title},
                "alt_text": request.args.get("alt_text", ""),
                "caption": {"rendered": "", "raw": ""},
                "media_type": "image",
                "mime_type": mime,
                "media_details": {"width": 0, "height": 0, "file": name, "sizes": {}},
                "source_url": f"{_root(prefix)}/wp-content/uploads/{name}",
                "filesize": len(data),
            }
            site.media[str(media_id)] = item
            site.files[name] = data  # kept out of the store so /_sandbox/state stays small
        failed = after_commit(rule)
        if failed is not None:
            return failed
        location = f"{_root(prefix)}/wp-json/wp/v2/media/{media_id}"
        return ok(item, 201, {"Location": location})

    @bp.get("/wp-json/wp/v2/media")
    @endpoint("read")
    def list_media(rule: FaultRule | None) -> Response:
        slugs = {s for s in request.args.get("slug", "").split(",") if s}
        search = request.args.get("search", "").casefold()
        with store.lock:
            found = [
                m for m in site.media.values()
                if (not slugs or m["slug"] in slugs)
                and search in (m["title"]["raw"] + m["slug"]).casefold()
            ]  # fmt: skip
        found.sort(key=lambda m: int(m["id"]))
        per_page = number(request.args.get("per_page"), 10)
        return ok(found[:per_page], 200, {"X-WP-Total": str(len(found))})

    @bp.delete("/wp-json/wp/v2/media/<int:media_id>")
    @endpoint("delete", "publish")
    def delete_media(rule: FaultRule | None, media_id: int) -> Response:
        if _user() is None:
            return _not_allowed("delete media")
        if request.args.get("force") not in ("true", "1"):
            return wp_error("rest_trash_not_supported",
                            "Attachments do not support trashing. Set 'force' to true.", 501)
        with store.lock:
            item = site.media.pop(str(media_id), None)
        if item is None:
            return wp_error("rest_post_invalid_id", "Invalid post ID.", 404)
        return after_commit(rule) or ok({"deleted": True, "previous": item})

    @bp.delete("/wp-json/wp/v2/posts/<int:post_id>")
    @endpoint("delete", "publish")
    def delete_post(rule: FaultRule | None, post_id: int) -> Response:
        if _user() is None:
            return _not_allowed("delete posts")
        with store.lock:
            post = site.posts.get(str(post_id))
            if post is None:
                return wp_error("rest_post_invalid_id", "Invalid post ID.", 404)
            if request.args.get("force") in ("true", "1"):
                site.posts.pop(str(post_id))
                previous = site.post_json(post, _root(prefix), edit=True)
                answer = {"deleted": True, "previous": previous}
            else:
                post["status"] = "trash"
                answer = site.post_json(post, _root(prefix), edit=True)
        return after_commit(rule) or ok(answer)

    @bp.get("/wp-json/wp/v2/<any(categories, tags):taxonomy>")
    @endpoint("read")
    def list_terms(rule: FaultRule | None, taxonomy: str) -> Response:
        search = request.args.get("search", "").casefold()
        slugs = {s for s in request.args.get("slug", "").split(",") if s}
        with store.lock:
            found = [
                t
                for t in site.terms(taxonomy).values()
                if search in html.unescape(t["name"]).casefold()
                and (not slugs or t["slug"] in slugs)
            ]
        per_page = number(request.args.get("per_page"), 10)
        return ok(found[:per_page], 200, {"X-WP-Total": str(len(found))})

    @bp.post("/wp-json/wp/v2/<any(categories, tags):taxonomy>")
    @endpoint("terms", "publish")
    def create_term(rule: FaultRule | None, taxonomy: str) -> Response:
        if _user() is None:
            return _not_allowed("create terms in this taxonomy")
        name = str(_fields().get("name") or "").strip()
        if not name:
            return wp_error("rest_missing_callback_param", "Missing parameter(s): name", 400)
        slug = sanitize_title(str(_fields().get("slug") or name))
        with store.lock:
            for term in site.terms(taxonomy).values():
                if (
                    html.unescape(term["name"]).casefold() == name.casefold()
                    or term["slug"] == slug
                ):
                    return wp_error(
                        "term_exists",
                        "A term with the name provided already exists in this taxonomy.",
                        400,
                        term_id=term["id"],
                    )
            term_id = int(store.new_id())
            base = "category" if taxonomy == "categories" else "tag"
            term = {
                "id": term_id,
                "count": 0,
                "description": "",
                "name": html.escape(name, False),
                "slug": slug,
                "taxonomy": TAXONOMIES[taxonomy],
                "meta": [],
                "link": f"{_root(prefix)}/{base}/{slug}/",
                **({"parent": 0} if taxonomy == "categories" else {}),
            }
            site.terms(taxonomy)[str(term_id)] = term
        failed = after_commit(rule)
        return failed or ok(term, 201)

    @bp.get("/wp-json/wp/v2/users/me")
    @endpoint("read")
    def me(rule: FaultRule | None) -> Response:
        user = _user()
        if user is None:
            return wp_error("rest_not_logged_in", "You are not currently logged in.", 401)
        uid = _user_id(user[0])
        avatars = {size: f"{_root(prefix)}/avatar/{uid}?s={size}" for size in ("24", "48", "96")}
        return ok(
            {
                "id": uid,
                "name": user[0],
                "slug": sanitize_title(user[0]),
                "url": "",
                "description": "",
                "link": f"{_root(prefix)}/author/{sanitize_title(user[0])}/",
                "avatar_urls": avatars,
                "meta": [],
                "roles": ["editor"],
            }
        )

    @bp.get("/wp-json/publisher-stats/v1/posts/<int:post_id>")
    @endpoint("insights")
    def stats(rule: FaultRule | None, post_id: int) -> Response:
        post = site.posts.get(str(post_id))
        if post is None:
            return wp_error("rest_post_invalid_id", "Invalid post ID.", 404)
        views, visitors = site.views(post, utcnow())
        return ok({"post_id": post_id, "views": views, "visitors": visitors, "period": "all"})

    @bp.route("/wp-json/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @endpoint("read")
    def no_route(rule: FaultRule | None, rest: str) -> Response:
        return wp_error("rest_no_route", ERRORS["rest_no_route"][1], 404)

    @bp.get("/")
    @bp.get("/<int:year>/<int:month>/<int:day>/<slug>/")
    def page(year: int = 0, month: int = 0, day: int = 0, slug: str = "") -> Response:
        site.run_cron(utcnow())
        wanted = request.args.get("p", "")
        for post in site.posts.values():
            if post["status"] == "publish" and (post["slug"] == slug or str(post["id"]) == wanted):
                title = html.escape(post["title"])
                body = f'<!DOCTYPE html><html lang="da"><title>{title}</title>'
                return Response(body + f"<h1>{title}</h1>{post['content']}</html>", 200)
        return Response("<!DOCTYPE html><title>Not found</title><h1>Not found</h1>", 404)

    @bp.get("/wp-content/uploads/<path:name>")
    def uploaded(name: str) -> Response:
        for item in site.media.values():
            if item["media_details"]["file"] == name and name in site.files:
                return Response(site.files[name], 200, mimetype=item["mime_type"])
        return Response("Not found", 404)

    app.register_blueprint(bp)
