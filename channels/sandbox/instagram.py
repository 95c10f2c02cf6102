"""Sandbox half of Instagram (professional accounts): containers, publishing, quota, insights.

Serves platforms.md §3 under /instagram/<version>/...:

    GET  /{ig-user-id}                          account (fields id,username,name,media_count)
    POST /{ig-user-id}/media                    image or carousel-item container, or a
                                                CAROUSEL container with children=a,b,…
    GET  /{container-id}?fields=status_code,status   IN_PROGRESS → FINISHED after N polls
    POST /{ig-user-id}/media_publish            creation_id=…; 9007/2207027 before FINISHED,
                                                9/2207042 over quota_total in 24 h
    GET  /{ig-user-id}/content_publishing_limit quota_usage (+ config when asked)
    GET  /{ig-user-id}/media?since=&until=      published media, newest first, cursor paging
    GET  /{ig-media-id}?fields=permalink,…      one media
    GET  /{ig-media-id}/insights?metric=…       growing numbers; retired metrics → (#100)

Only images and carousels of images are simulated (other media types get 100/2207023). The
sandbox never fetches image URLs. Knobs (DEFAULTS, changed with `configure`): polls_to_finish,
quota_total, quota_duration, container_limit, max_hashtags (the API's 30, not the app's 5),
container_ttl, and republish: what media_publish does with an already PUBLISHED container, which
Meta does not document; the default "duplicate" is the worst case (a second media), "same_id"
answers the first media's id, "error" refuses.

Fault ops: "upload" (container creation), "publish" (media_publish), "read", "insights". Besides
the numeric codes of graph_common, an "upload" rule of kind "error" accepts the codes "ERROR",
"ERROR/<subcode>" and "EXPIRED": the container is created and then ends in that state.
"""

from __future__ import annotations

import hashlib
import re
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

PLATFORM = "instagram"

DEFAULTS: dict[str, Any] = {
    "polls_to_finish": 1,
    "quota_total": 50,  # the docs say 50 and 100 (§3.4); 50 is the stricter
    "quota_duration": 86400,
    "container_limit": 400,
    "max_hashtags": 30,
    "container_ttl": 86400,
    "republish": "duplicate",
}

MEDIA_METRICS = {
    "views": "Views", "reach": "Accounts reached", "likes": "Likes", "comments": "Comments",
    "shares": "Shares", "saved": "Saved", "total_interactions": "Interactions",
    "reposts": "Reposts", "follows": "Follows", "profile_visits": "Profile visits",
    "profile_activity": "Profile activity", "facebook_views": "Facebook views",
}
RETIRED_METRICS = {"impressions", "plays", "clips_replays_count",
                   "ig_reels_aggregated_all_plays_count", "video_views", "engagement"}

STATUS_TEXT = {
    "IN_PROGRESS": "In Progress: Media is still being processed.",
    "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
    "EXPIRED": "Expired: The container was not published within 24 hours.",
    "PUBLISHED": "Published: Media has been published.",
}

HASHTAG = re.compile(r"(?<!\w)#\w+")
MENTION = re.compile(r"(?<!\w)@[\w.]+")


KNOBS = Knobs(PLATFORM, DEFAULTS)
configure = KNOBS.configure  # change knobs (see DEFAULTS) until the next reset
knob = KNOBS.get


def register(app: Flask, store: Store, faults: Faults, prefix: str) -> None:
    """Serve the Instagram Graph sandbox under its prefix."""
    sandbox = GraphSandbox(PLATFORM, "instagram", store, faults)
    sandbox.register(app, prefix, _Instagram(sandbox).handle)


class _Instagram:
    def __init__(self, sandbox: GraphSandbox) -> None:
        self.sb = sandbox
        self.store = sandbox.store
        self.containers = lambda: self.store.collection(PLATFORM, "containers")
        self.media = lambda: self.store.collection(PLATFORM, "media")

    def handle(self, call: GraphCall) -> Response:
        parts, method = call.parts, call.method
        if len(parts) == 1 and method == "GET":
            return self.get_node(call, parts[0])
        if len(parts) == 2:
            node, edge = parts
            if edge == "media" and method == "POST":
                return self.create_container(call, node)
            if edge == "media" and method == "GET":
                return self.list_media(call, node)
            if edge == "media_publish" and method == "POST":
                return self.publish(call, node)
            if edge == "content_publishing_limit" and method == "GET":
                return self.publishing_limit(call, node)
            if edge == "insights" and method == "GET":
                return self.insights(call, node)
        if method != "GET":
            raise bad_param(call, f"(#100) Unsupported {method.lower()} request.")
        raise bad_param(call, f"Unknown path components: /{'/'.join(parts[1:])}", code=2500)

    # --- reads ---------------------------------------------------------------------------

    def get_node(self, call: GraphCall, node: str) -> Response:
        self.sb.begin(call, "read")
        container = self.containers().get(node)
        if container is not None:
            with self.store.lock:
                status = self._status(container)
                container["polls"] += 1
            view = {"id": node, "status_code": status, "status": self._status_text(container,
                                                                                   status),
                    "copyright_check_status": {"matches_found": False, "status": "completed"}}
            return self._ok(call, pick_fields(view, call.fields(("id",)), "ShadowIGMediaBuilder",
                                              call))
        media = self.media().get(node)
        if media is not None:
            return self._ok(call, pick_fields(self._media_view(media), call.fields(("id",)),
                                              "IGMedia", call))
        if node.isdigit():
            account = {"id": node, "username": f"sandkasse_{node}", "name": "Sandkasse",
                       "media_count": len(self._user_media(node)), "followers_count": 800}
            return self._ok(call, pick_fields(account, call.fields(("id",)), "IGUser", call))
        raise not_found(call, node)

    def list_media(self, call: GraphCall, user: str) -> Response:
        self.sb.begin(call, "read")
        if not user.isdigit():
            raise not_found(call, user)
        since, until = parse_time(call.params.get("since")), parse_time(call.params.get("until"))
        items = [
            m for m in self._user_media(user)
            if not (since and m["ts"] < since) and not (until and m["ts"] > until)
        ]
        items.sort(key=lambda m: (m["ts"], m["id"]), reverse=True)
        views = [pick_fields(self._media_view(m), call.fields(("id",)), "IGMedia", call)
                 for m in items]
        return self._ok(call, paginate(views, call.params))

    def publishing_limit(self, call: GraphCall, user: str) -> Response:
        self.sb.begin(call, "read")
        if not user.isdigit():
            raise not_found(call, user)
        entry: dict[str, Any] = {"quota_usage": self._quota_usage(user)}
        if "config" in call.fields(("quota_usage",)):
            entry["config"] = {"quota_total": knob(self.store, "quota_total"),
                               "quota_duration": knob(self.store, "quota_duration")}
        return self._ok(call, {"data": [entry]})

    def insights(self, call: GraphCall, node: str) -> Response:
        self.sb.begin(call, "insights")
        media = self.media().get(node)
        if media is None:
            raise not_found(call, node)
        metrics = [m.strip() for m in str(call.params.get("metric") or "").split(",") if m]
        if not metrics:
            raise bad_param(call, "(#100) The parameter metric is required.")
        for m in metrics:
            if m in RETIRED_METRICS:
                raise bad_param(call, f"(#100) The Media Insights API does not support the {m} "
                                "metric for this media product type.")
            if m not in MEDIA_METRICS:
                raise bad_param(call, "(#100) metric[0] must be one of the following values: "
                                + ", ".join(MEDIA_METRICS))
        figures = self._figures(media)
        data = [
            {"name": m, "period": "lifetime", "values": [{"value": figures[m]}],
             "title": MEDIA_METRICS[m], "description": MEDIA_METRICS[m],
             "id": f"{node}/insights/{m}/lifetime"}
            for m in metrics
        ]
        return self._ok(call, {"data": data})

    # --- writes --------------------------------------------------------------------------

    def create_container(self, call: GraphCall, user: str) -> Response:
        rule = self.sb.begin(call, "upload")
        if not user.isdigit():
            raise not_found(call, user, "post")
        p = call.params
        media_type = str(p.get("media_type") or "IMAGE").upper()
        is_item = truthy(p.get("is_carousel_item", "false"))
        caption = str(p.get("caption") or "")
        if media_type not in ("IMAGE", "CAROUSEL"):
            raise GraphFail(error_response(100, 2207023, version=call.version))
        self._check_caption(call, caption, is_item)
        children = self._check_children(call, user, p) if media_type == "CAROUSEL" else []
        image_url = None if media_type == "CAROUSEL" else self._check_image(call, p)
        if len(str(p.get("alt_text") or "")) > 1000:
            raise bad_param(call, "(#100) alt_text may have at most 1000 characters")
        recent = [c for c in self.containers().values()
                  if c["user"] == user and c["created_ts"] > now() - 86400]
        if len(recent) >= knob(self.store, "container_limit"):
            raise GraphFail(error_response(9, 2207069, version=call.version))
        forced, forced_status = None, ""
        if rule is not None and rule.kind == "error":
            forced, _, forced_status = rule.code.upper().partition("/")
        with self.store.lock:
            container_id = self.store.new_id()
            self.containers()[container_id] = {
                "id": container_id, "user": user,
                "kind": "CAROUSEL" if children else ("CAROUSEL_ITEM" if is_item else "IMAGE"),
                "image_url": image_url, "caption": caption, "children": children,
                "alt_text": p.get("alt_text"), "polls": 0, "created_ts": now(),
                "forced": forced if forced in ("ERROR", "EXPIRED") else None,
                "forced_status": forced_status, "media_id": None,
            }
        self.sb.after_commit(call, rule)
        return self._ok(call, {"id": container_id})

    def publish(self, call: GraphCall, user: str) -> Response:
        rule = self.sb.begin(call, "publish")
        creation_id = str(call.params.get("creation_id") or "")
        if not creation_id:
            raise bad_param(call, "(#100) The parameter creation_id is required.")
        container = self.containers().get(creation_id)
        if container is None or container["user"] != user:
            raise GraphFail(error_response(24, 2207008, version=call.version))
        if container["kind"] == "CAROUSEL_ITEM":
            raise bad_param(call, "(#100) A carousel item cannot be published on its own.")
        status = self._status(container)
        if status == "PUBLISHED":
            mode = knob(self.store, "republish")
            if mode == "same_id":
                return self._ok(call, {"id": container["media_id"]})
            if mode == "error":
                raise bad_param(call, "(#100) The media has already been published.")
        elif status != "FINISHED":
            code = {"IN_PROGRESS": (9007, 2207027), "EXPIRED": (-2, 2207020)}.get(
                status, (-1, 2207032))
            raise GraphFail(error_response(*code, version=call.version))
        if self._quota_usage(user) >= knob(self.store, "quota_total"):
            raise GraphFail(error_response(9, 2207042, version=call.version))
        with self.store.lock:
            media = self._new_media(user, container)
        self.sb.after_commit(call, rule)
        return self._ok(call, {"id": media["id"]})

    # --- helpers -------------------------------------------------------------------------

    def _ok(self, call: GraphCall, body: Any) -> Response:
        return json_response(body, version=call.version)

    def _user_media(self, user: str) -> list[dict[str, Any]]:
        return [m for m in self.media().values() if m["user"] == user]

    def _quota_usage(self, user: str) -> int:
        window = now() - knob(self.store, "quota_duration")
        return sum(1 for m in self._user_media(user) if m["ts"] > window)

    def _status(self, container: dict[str, Any]) -> str:
        if container["media_id"]:
            return "PUBLISHED"
        if container["forced"]:
            return str(container["forced"])
        if container["created_ts"] + knob(self.store, "container_ttl") < now():
            return "EXPIRED"
        for child_id in container["children"]:
            child = self.containers().get(child_id)
            if child is not None and self._status(child) in ("ERROR", "EXPIRED"):
                return "ERROR"
        done = container["polls"] >= knob(self.store, "polls_to_finish")
        return "FINISHED" if done else "IN_PROGRESS"

    def _status_text(self, container: dict[str, Any], status: str) -> str:
        if status == "ERROR":
            subcode = container["forced_status"]
            return "Error: Media processing failed" + (f" with error code {subcode}"
                                                       if subcode else ".")
        return STATUS_TEXT[status]

    def _check_caption(self, call: GraphCall, caption: str, is_item: bool) -> None:
        if caption and is_item:
            raise bad_param(call, "(#100) The parameter caption is not allowed on carousel items.")
        if len(caption) > 2200:
            raise GraphFail(error_response(36004, 2207010, version=call.version))
        limit = knob(self.store, "max_hashtags")
        if len(HASHTAG.findall(caption)) > limit:
            raise bad_param(call, f"(#100) The caption may have at most {limit} hashtags.")
        if len(MENTION.findall(caption)) > 20:
            raise GraphFail(error_response(100, 2207040, version=call.version))

    def _check_image(self, call: GraphCall, p: dict[str, Any]) -> str:
        url = str(p.get("image_url") or "")
        if not url:
            raise bad_param(call, "(#100) The parameter image_url is required.")
        if not url.startswith(("http://", "https://")) or not url.isascii():
            raise GraphFail(error_response(9004, 2207052, version=call.version))
        return url

    def _check_children(self, call: GraphCall, user: str, p: dict[str, Any]) -> list[str]:
        raw = p.get("children") or ""
        children = raw if isinstance(raw, list) else [c for c in str(raw).split(",") if c]
        children = [str(c).strip() for c in children]
        if not 2 <= len(children) <= 10:
            raise GraphFail(error_response(100, 2207028, version=call.version))
        for child_id in children:
            child = self.containers().get(child_id)
            if child is None or child["user"] != user or child["kind"] != "CAROUSEL_ITEM":
                raise GraphFail(error_response(24, 2207006, version=call.version))
        return children

    def _new_media(self, user: str, container: dict[str, Any]) -> dict[str, Any]:
        media_id = self.store.new_id()
        shortcode = hashlib.sha256(media_id.encode()).hexdigest()[:11]
        media = {
            "id": media_id, "user": user, "caption": container["caption"], "ts": now(),
            "media_type": "CAROUSEL_ALBUM" if container["kind"] == "CAROUSEL" else "IMAGE",
            "shortcode": shortcode, "container_id": container["id"],
            "media_url": container["image_url"] or self._first_child_url(container),
        }
        self.media()[media_id] = media
        container["media_id"] = media_id
        return media

    def _first_child_url(self, container: dict[str, Any]) -> str | None:
        first = self.containers().get(container["children"][0]) if container["children"] else None
        return first["image_url"] if first else None

    def _media_view(self, media: dict[str, Any]) -> dict[str, Any]:
        figures = self._figures(media)
        return {
            "id": media["id"], "caption": media["caption"] or None,
            "media_type": media["media_type"], "media_product_type": "FEED",
            "media_url": media["media_url"], "shortcode": media["shortcode"],
            "permalink": view_url("instagram", media["shortcode"]),
            "timestamp": graph_time(media["ts"]), "username": f"sandkasse_{media['user']}",
            "like_count": figures["likes"], "comments_count": figures["comments"],
            "is_comment_enabled": True,
        }

    def _figures(self, media: dict[str, Any]) -> dict[str, int]:
        g = growth(media["id"], media["ts"])
        likes, comments = int(g * 0.08), int(g * 0.01)
        shares, saved = int(g * 0.008), int(g * 0.012)
        return {
            "views": int(g * 1.4), "reach": int(g * 0.8), "likes": likes, "comments": comments,
            "shares": shares, "saved": saved, "total_interactions": likes + comments + shares
            + saved, "reposts": int(g * 0.002), "follows": int(g * 0.003),
            "profile_visits": int(g * 0.02), "profile_activity": int(g * 0.01),
            "facebook_views": 0,
        }
