"""Sandbox half of Facebook Pages: feed posts, photos, the two-phase publish, insights.

Serves platforms.md §1 and §2 under /facebook/<version>/...:

    GET    /{page-id}                        page (fields id,name,category,link,fan_count)
    POST   /{page-id}/feed                   text/link/multi-photo post; published=false and
                                             scheduled_publish_time (≥ 10 min, ≤ max days)
    GET    /{page-id}/feed | /published_posts | /scheduled_posts    newest first, cursor paging
    POST   /{page-id}/photos                 url= or source=; published=false gives {"id"} only
    GET    /{post-id} | /{photo-id}          fields as asked; unknown fields are refused
    POST   /{post-id}                        is_published=true (repeat-safe), message=
    DELETE /{post-id} | /{photo-id}          a photo inside a post cannot be deleted (#100/33)
    GET    /{post-id}/insights?metric=…      growing numbers; retired metrics → (#100) invalid

A message equal to the page's last published one is refused with (#506). `/feed` lists
published posts only, as Meta's does; `configure(store, feed_includes_unpublished=True)` makes
it list unpublished ones too. Other knobs are in DEFAULTS.

Fault ops: "publish" (feed create, photo with a story, is_published, delete), "upload"
(unpublished photos), "read", "insights". Error codes: see graph_common.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response

from channels.sandbox.core import Faults, Store
from channels.sandbox.graph_common import (
    GraphCall,
    GraphFail,
    GraphSandbox,
    Knobs,
    bad_param,
    error_response,
    graph_time,
    growth,
    json_response,
    not_found,
    now,
    paginate,
    parse_time,
    pick_fields,
    truthy,
)
from channels.sandbox.pages import view_url

PLATFORM = "facebook"

DEFAULTS: dict[str, Any] = {
    "min_schedule_seconds": 600,
    "max_schedule_days": 30,  # [UNCONFIRMED] 30, 75 days or 6 months
    "max_photo_bytes": 10 * 1024 * 1024,  # [UNCONFIRMED] 10 MB or 4 MB
    "reduce_data_error": True,  # ≥ 5 photos + ≥ 1 KB caption → HTTP 500 code 1 [OBS]
    "feed_includes_unpublished": False,
}

POST_METRICS = {
    "post_total_media_view_unique": ("Lifetime Post Total Unique Media Views",
                                     "Lifetime: The number of people who saw the post."),
    "post_media_view": ("Lifetime Post Media Views",
                        "Lifetime: The number of times the post was on screen."),
    "post_reactions_by_type_total": ("Lifetime Total post Reactions by Type",
                                     "Lifetime: Total post reactions by type."),
    "post_clicks": ("Lifetime Post Clicks", "Lifetime: The number of clicks on the post."),
    "post_clicks_by_type": ("Lifetime Post Clicks by Type",
                            "Lifetime: The number of clicks on the post, by type."),
}

POST_FIELDS = ("id", "message", "created_time")


KNOBS = Knobs(PLATFORM, DEFAULTS)
configure = KNOBS.configure  # change knobs (see DEFAULTS) until the next reset
knob = KNOBS.get


def register(app: Flask, store: Store, faults: Faults, prefix: str) -> None:
    """Serve the Facebook Graph sandbox under its prefix."""
    sandbox = GraphSandbox(PLATFORM, "pages", store, faults)
    sandbox.register(app, prefix, _Pages(sandbox).handle)


class _Pages:
    def __init__(self, sandbox: GraphSandbox) -> None:
        self.sb = sandbox
        self.store = sandbox.store
        self.posts = lambda: self.store.collection(PLATFORM, "posts")
        self.photos = lambda: self.store.collection(PLATFORM, "photos")

    def handle(self, call: GraphCall) -> Response:
        parts, method = call.parts, call.method
        if len(parts) == 1:
            if method == "GET":
                return self.get_node(call, parts[0])
            if method == "POST":
                return self.update_post(call, parts[0])
            return self.delete_node(call, parts[0])
        if len(parts) == 2:
            node, edge = parts
            if edge == "feed" and method == "POST":
                return self.create_post(call, node)
            if edge == "photos" and method == "POST":
                return self.create_photo(call, node)
            if edge in ("feed", "published_posts", "scheduled_posts") and method == "GET":
                return self.list_posts(call, node, edge)
            if edge == "insights" and method == "GET":
                return self.insights(call, node)
        raise bad_param(call, f"Unknown path components: /{'/'.join(parts[1:])}", code=2500)

    # --- reads ---------------------------------------------------------------------------

    def get_node(self, call: GraphCall, node: str) -> Response:
        self.sb.begin(call, "read")
        post = self._post(node)
        if post is not None:
            return self._ok(call, pick_fields(self._post_view(post), call.fields(POST_FIELDS),
                                              "PagePost", call))
        photo = self.photos().get(node)
        if photo is not None:
            return self._ok(call, pick_fields(self._photo_view(photo),
                                              call.fields(("id", "created_time")), "Photo", call))
        if node.isdigit():
            page = {"id": node, "name": f"Sandkasse-side {node}", "category": "Community",
                    "link": f"https://www.facebook.com/{node}", "fan_count": 1200}
            return self._ok(call, pick_fields(page, call.fields(("id", "name")), "Page", call))
        raise bad_param(call, f"(#803) Some of the aliases you requested do not exist: {node}",
                        code=803)

    def list_posts(self, call: GraphCall, page: str, edge: str) -> Response:
        self.sb.begin(call, "read")
        if not page.isdigit():
            raise not_found(call, page)
        since, until = parse_time(call.params.get("since")), parse_time(call.params.get("until"))
        with_unpublished = knob(self.store, "feed_includes_unpublished")
        items = []
        for post in list(self.posts().values()):
            self._settle(post)
            if post["page_id"] != page or post.get("deleted"):
                continue
            scheduled = not post["is_published"] and post["scheduled_publish_time"]
            if edge == "scheduled_posts" and not scheduled:
                continue
            if edge == "published_posts" and not post["is_published"]:
                continue
            if edge == "feed" and not post["is_published"] and not with_unpublished:
                continue
            if (since and post["created_ts"] < since) or (until and post["created_ts"] > until):
                continue
            items.append(post)
        items.sort(key=lambda p: (p["created_ts"], p["id"]), reverse=True)
        wanted = call.fields(POST_FIELDS)
        views = [pick_fields(self._post_view(p), wanted, "PagePost", call) for p in items]
        return self._ok(call, paginate(views, call.params))

    def insights(self, call: GraphCall, node: str) -> Response:
        self.sb.begin(call, "insights")
        post = self._post(node)
        if post is None:
            raise not_found(call, node)
        metrics = [m.strip() for m in str(call.params.get("metric") or "").split(",") if m]
        if not metrics:
            raise GraphFail(error_response(3001, 1504028, "(#3001) No metric was specified",
                                           version=call.version))
        if any(m not in POST_METRICS for m in metrics):
            raise bad_param(call, "(#100) The value must be a valid insights metric")
        values = self._figures(post)
        data = [
            {"name": m, "period": "lifetime", "values": [{"value": values[m]}],
             "title": POST_METRICS[m][0], "description": POST_METRICS[m][1],
             "id": f"{node}/insights/{m}/lifetime"}
            for m in metrics
        ]
        return self._ok(call, {"data": data, "paging": {}})

    # --- writes --------------------------------------------------------------------------

    def create_post(self, call: GraphCall, page: str) -> Response:
        rule = self.sb.begin(call, "publish")
        if not page.isdigit():
            raise not_found(call, page, "post")
        p = call.params
        message, link = str(p.get("message") or ""), p.get("link") or None
        published = truthy(p.get("published", "true"))
        scheduled = self._check_schedule(call, p.get("scheduled_publish_time"), published)
        photo_ids = self._attached(call, page, p.get("attached_media") or [])
        if not message and not link and not photo_ids:
            raise bad_param(call, "(#197) The post is empty. Please enter a message to share.",
                            code=197)
        if link and not str(link).startswith(("http://", "https://")):
            raise bad_param(call, "(#1500) The url you supplied is invalid", code=1500)
        too_much = len(photo_ids) >= 5 and len(message.encode()) >= 1024
        if too_much and knob(self.store, "reduce_data_error"):
            raise GraphFail(error_response(
                1, message="Please reduce the amount of data you're asking for, then retry your "
                "request", status=500, version=call.version))
        if published:
            self._refuse_duplicate(call, page, message)
        with self.store.lock:
            post = self._new_post(page, message, link, photo_ids, published, scheduled)
        self.sb.after_commit(call, rule)
        body: dict[str, Any] = {"id": post["id"], "post_supports_client_mutation_id": True}
        if p.get("fields"):
            body.update(pick_fields(self._post_view(post), call.fields(()), "PagePost", call))
        return self._ok(call, body)

    def create_photo(self, call: GraphCall, page: str) -> Response:
        p = call.params
        published = truthy(p.get("published", "true"))
        rule = self.sb.begin(call, "publish" if published else "upload")
        if not page.isdigit():
            raise not_found(call, page, "post")
        url, source = p.get("url"), call.files.get("source")
        if not url and source is None:
            raise bad_param(call, "(#324) Requires upload file", code=324)
        if url and source is not None:
            raise bad_param(call, "(#100) Only one of url and source may be given")
        if url and not str(url).startswith(("http://", "https://")):
            raise bad_param(call, "(#100) url should represent a valid URL")
        if source is not None and len(source) > knob(self.store, "max_photo_bytes"):
            raise bad_param(call, "Your photo couldn't be uploaded. Photos should be smaller than "
                            "the size limit and saved as JPG, PNG, GIF, TIFF, HEIF or WebP files.",
                            subcode=1366046)
        message = str(p.get("message") or p.get("caption") or "")
        if published:
            self._refuse_duplicate(call, page, message)
        with self.store.lock:
            photo_id = self.store.new_id()
            photo = {"id": photo_id, "page_id": page, "url": url, "name": message,
                     "created_ts": now(), "post_id": None,
                     "alt_text_custom": p.get("alt_text_custom")}
            self.photos()[photo_id] = photo
            body: dict[str, Any] = {"id": photo_id}
            if published:
                post = self._new_post(page, message, None, [photo_id], True, None)
                body["post_id"] = post["id"]
        self.sb.after_commit(call, rule)
        return self._ok(call, body)

    def update_post(self, call: GraphCall, node: str) -> Response:
        rule = self.sb.begin(call, "publish")
        post = self._post(node)
        if post is None:
            raise not_found(call, node, "post")
        p = call.params
        if "is_published" not in p and "message" not in p:
            raise bad_param(call, "(#100) No field to update was given")
        if truthy(p.get("is_published")) and not post["is_published"]:
            self._refuse_duplicate(call, post["page_id"], str(p.get("message", post["message"])))
        with self.store.lock:
            if "message" in p:
                post["message"] = str(p["message"])
            if truthy(p.get("is_published")) and not post["is_published"]:
                # Publishing again is a no-op that also answers success (§1.6).
                self._go_live(post, now())
        self.sb.after_commit(call, rule)
        return self._ok(call, {"success": True})

    def delete_node(self, call: GraphCall, node: str) -> Response:
        rule = self.sb.begin(call, "publish")
        with self.store.lock:
            post, photo = self._post(node), self.photos().get(node)
            if post is not None:
                post["deleted"] = True
            elif photo is not None and photo["post_id"] is None:
                del self.photos()[node]
            elif photo is not None:
                raise not_found(call, node, "delete")
            else:
                raise not_found(call, node, "delete")
        self.sb.after_commit(call, rule)
        return self._ok(call, {"success": True})

    # --- helpers -------------------------------------------------------------------------

    def _ok(self, call: GraphCall, body: Any) -> Response:
        return json_response(body, version=call.version)

    def _post(self, node: str) -> dict[str, Any] | None:
        post = self.posts().get(node)
        if post is None or post.get("deleted"):
            return None
        self._settle(post)
        return post

    def _settle(self, post: dict[str, Any]) -> None:
        """A scheduled post goes live once its time has come."""
        due = post["scheduled_publish_time"]
        if not post["is_published"] and due and due <= now():
            with self.store.lock:
                self._go_live(post, float(due))

    def _go_live(self, post: dict[str, Any], at: float) -> None:
        post["is_published"], post["published_ts"] = True, at
        if post["message"]:
            self._page(post["page_id"])["last_message"] = post["message"]

    def _page(self, page: str) -> dict[str, Any]:
        return self.store.collection(PLATFORM, "pages").setdefault(page, {"last_message": None})

    def _refuse_duplicate(self, call: GraphCall, page: str, message: str) -> None:
        if message and self._page(page)["last_message"] == message:
            raise GraphFail(error_response(506, version=call.version))

    def _new_post(self, page: str, message: str, link: str | None, photo_ids: list[str],
                  published: bool, scheduled: float | None) -> dict[str, Any]:
        post_id = f"{page}_{self.store.new_id()}"
        post: dict[str, Any] = {
            "id": post_id, "page_id": page, "message": message, "link": link,
            "created_ts": now(), "is_published": False, "published_ts": None,
            "scheduled_publish_time": int(scheduled) if scheduled else None,
            "attached_media": list(photo_ids),
        }
        for photo_id in photo_ids:
            self.photos()[photo_id]["post_id"] = post_id
        self.posts()[post_id] = post
        if published:
            self._go_live(post, post["created_ts"])
        return post

    def _check_schedule(self, call: GraphCall, raw: Any, published: bool) -> float | None:
        if raw in (None, ""):
            return None
        if published:
            raise bad_param(call, "(#100) Cannot specify a scheduled publish time on a published "
                            "post")
        when = parse_time(raw)
        if when is None:
            raise bad_param(call, "(#100) The specified scheduled publish time is invalid.")
        if when < now() + knob(self.store, "min_schedule_seconds"):
            raise bad_param(call, "(#100) scheduled_publish_time must be at least 10 minutes in "
                            "the future")
        days = knob(self.store, "max_schedule_days")
        if when > now() + days * 86400:
            raise bad_param(call, f"(#100) scheduled_publish_time must be at most {days} days in "
                            "the future")
        return when

    def _attached(self, call: GraphCall, page: str, raw: Any) -> list[str]:
        if isinstance(raw, str):
            raw = json.loads(raw) if raw.strip().startswith("[") else [raw]
        ids: list[str] = []
        for i, item in enumerate(raw):
            try:
                entry = json.loads(item) if isinstance(item, str) else item
                photo_id = str(entry["media_fbid"])
            except (ValueError, KeyError, TypeError):
                raise bad_param(call, f"(#100) param attached_media[{i}] must be an object with "
                                "media_fbid") from None
            photo = self.photos().get(photo_id)
            if photo is None or photo["page_id"] != page or photo["post_id"] is not None:
                raise bad_param(call, f"(#100) attached_media[{i}]: media_fbid {photo_id} is "
                                "not an unpublished photo of this Page")
            ids.append(photo_id)
        return ids

    def _post_view(self, post: dict[str, Any]) -> dict[str, Any]:
        first_photo = self.photos().get(post["attached_media"][0]) if post["attached_media"] \
            else None
        return {
            "id": post["id"],
            "message": post["message"] or None,
            "created_time": graph_time(post["created_ts"]),
            "updated_time": graph_time(post["published_ts"] or post["created_ts"]),
            "is_published": post["is_published"],
            "is_hidden": False,
            "permalink_url": view_url("facebook", post["id"]),
            "scheduled_publish_time": post["scheduled_publish_time"],
            "status_type": "added_photos" if post["attached_media"] else (
                "shared_story" if post["link"] else "mobile_status_update"),
            "full_picture": first_photo["url"] if first_photo else None,
        }

    def _photo_view(self, photo: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": photo["id"], "created_time": graph_time(photo["created_ts"]),
            "name": photo["name"] or None, "link": view_url("facebook", f"photo/{photo['id']}"),
            "images": [{"source": photo["url"]}] if photo["url"] else None,
            "alt_text_custom": photo["alt_text_custom"],
        }

    def _figures(self, post: dict[str, Any]) -> dict[str, Any]:
        g = growth(post["id"], post["published_ts"])
        clicks = {"other clicks": int(g * 0.05)}
        if post["link"]:
            clicks["link clicks"] = int(g * 0.03)
        if post["attached_media"]:
            clicks["photo view"] = int(g * 0.04)
        return {
            "post_total_media_view_unique": int(g),
            "post_media_view": int(g * 1.7),
            "post_reactions_by_type_total": {"like": int(g * 0.06), "love": int(g * 0.02),
                                             "wow": int(g * 0.005), "haha": int(g * 0.004)},
            "post_clicks": sum(clicks.values()),
            "post_clicks_by_type": clicks,
        }
