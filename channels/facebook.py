"""Facebook Pages through the Graph API (facebook-sdk as transport, see channels/graph.py).

`account.external_id` is the Page id and `account.credentials["access_token"]` a Page token.

Every post goes out in two phases (platforms.md §1.6, §7): photos are uploaded unpublished, the
post is created with `published=false`, its id is remembered, and only then `POST /{post-id}
is_published=true` makes it live. That last step is repeat-safe, so a retry never doubles a
post; an unpublished leftover is invisible. A single photo takes the same path as several
(attached_media with one entry), and a link next to photos goes into the message, because a
post with attached photos shows no link preview.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from channels.base import (
    Adapter,
    ChannelError,
    ErrorKind,
    MediaRules,
    Metrics,
    Post,
    Problem,
    Published,
    Rendered,
    TextRules,
)
from channels.graph import GraphClient, normalise_text, parse_graph_time

MAX_MESSAGE = 63206
MAX_PHOTOS = 10  # ten were accepted on v25; no documented maximum (§1.5)
MAX_PHOTOS_LONG_CAPTION = 4  # ≥ 5 photos with a ~1 KB caption was seen to fail with code 1
LONG_CAPTION_BYTES = 1024
DEFAULT_MAX_PHOTO_BYTES = 10 * 1024 * 1024
PHOTO_TYPES = ("image/jpeg", "image/png", "image/gif", "image/bmp", "image/tiff", "image/heif",
               "image/webp")
CLOCK_SKEW = timedelta(minutes=5)
POST_METRICS = ("post_total_media_view_unique", "post_media_view", "post_reactions_by_type_total",
                "post_clicks", "post_clicks_by_type")


def _problem(field: str, code: str, da: str, en: str) -> Problem:
    return Problem(field=field, code=code, message_da=da, message_en=en)


def render(post: Post, options: Mapping[str, Any] | None = None) -> Rendered:
    """The Page post as it goes out: the text, and the link beside it or (with photos) in it.

    A post with attached photos shows no link preview, so the link is added to the message
    then (unless the text already has it); without photos it goes in the `link` field.
    """
    images = tuple(post.media)
    text = post.text or ""
    if post.link and images and post.link not in text:
        text = f"{text}\n\n{post.link}" if text else post.link
    link = post.link if post.link and not images else None
    return Rendered(text=text, link=link, images=images, length=len(text), limit=MAX_MESSAGE)


def total(value: Any) -> int:
    """A metric value as one number; `*_by_type` and breakdown objects are summed."""
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, dict):
        return sum(total(v) for v in value.values())
    return 0


class FacebookAdapter(Adapter):
    """Publish to a Facebook Page."""

    render = staticmethod(render)  # the same function previews use

    platform = "facebook"
    text_rules = TextRules(limit=MAX_MESSAGE)
    media_rules = MediaRules(max_images=MAX_PHOTOS, max_bytes=DEFAULT_MAX_PHOTO_BYTES,
                             mime_types=PHOTO_TYPES)

    # --- validation ----------------------------------------------------------------------

    def validate(self, post: Post) -> list[Problem]:
        """Return the Page rules `post` breaks: empty, length, photo count/size/type, link."""
        problems: list[Problem] = []
        message = self.message(post)
        if not message.strip() and not post.media:
            problems.append(_problem("text", "empty", "Opslaget er tomt.", "The post is empty."))
        limit = self.text_rules.limit
        if limit is not None and len(message) > limit:
            problems.append(_problem(
                "text", "text_too_long",
                f"Teksten er {len(message)} tegn; Facebook tillader højst {limit}.",
                f"The text is {len(message)} characters; Facebook allows at most {limit}.",
            ))
        if post.link and urlsplit(post.link).scheme not in ("http", "https"):
            problems.append(_problem("link", "link_invalid",
                                     "Linket skal begynde med http:// eller https://.",
                                     "The link must start with http:// or https://."))
        cap = self.max_photos(post)
        if len(post.media) > cap:
            problems.append(_problem(
                "media", "too_many_images",
                f"Facebook tager højst {cap} billeder i dette opslag (der er {len(post.media)}).",
                f"Facebook takes at most {cap} images in this post (there are {len(post.media)}).",
            ))
        max_bytes = int(self.settings.options.get("max_photo_bytes", DEFAULT_MAX_PHOTO_BYTES))
        for i, item in enumerate(post.media):
            field = f"media[{i}]"
            if urlsplit(item.url).scheme not in ("http", "https"):
                problems.append(_problem(field, "image_url",
                                         "Billedets adresse skal begynde med http(s)://.",
                                         "The image address must start with http(s)://."))
            if item.size_bytes > max_bytes:
                mb = max_bytes / 1024 / 1024
                problems.append(_problem(field, "image_too_large",
                                         f"Billedet er større end {mb:g} MB.",
                                         f"The image is larger than {mb:g} MB."))
            if item.mime_type not in PHOTO_TYPES:
                problems.append(_problem(
                    field, "image_format",
                    f"Facebook tager ikke billeder af typen {item.mime_type}.",
                    f"Facebook does not take images of type {item.mime_type}.",
                ))
        return problems

    def max_photos(self, post: Post) -> int:
        """How many photos this post may carry (fewer when the caption is long, §1.5)."""
        long_caption = len(self.message(post).encode()) > LONG_CAPTION_BYTES
        return MAX_PHOTOS_LONG_CAPTION if long_caption else MAX_PHOTOS

    @staticmethod
    def message(post: Post) -> str:
        """The message we send (see `render`)."""
        return render(post).text

    # --- publishing ----------------------------------------------------------------------

    def publish(self, post: Post) -> Published:
        """Upload photos, create the post unpublished, then make it live; resume from state."""
        graph = self._graph()
        post_id = post.state.get("post_id")
        if not post_id:
            photo_ids = self._upload_photos(graph, post)
            post_id = self._create_unpublished(graph, post, photo_ids)
        graph.post(str(post_id), {"is_published": True})
        return self._published(graph, str(post_id))

    def _upload_photos(self, graph: GraphClient, post: Post) -> list[str]:
        page = self.account.external_id
        photo_ids: list[str | None] = list(post.state.get("photo_ids") or [])
        photo_ids += [None] * (len(post.media) - len(photo_ids))
        for i, item in enumerate(post.media):
            if photo_ids[i]:
                continue
            data = {"url": item.url, "published": False, "alt_text_custom": item.alt_text or None}
            # An unpublished photo is invisible, so repeating an upload cannot double a post.
            body = graph.post(f"{page}/photos", data, write=False)
            photo_ids[i] = str(body["id"])
            post.remember("photo_ids", list(photo_ids))
        return [str(p) for p in photo_ids]

    def _create_unpublished(self, graph: GraphClient, post: Post, photo_ids: list[str]) -> str:
        page = self.account.external_id
        rendered = render(post, self.account.options)
        data: dict[str, Any] = {"message": rendered.text or None, "published": False}
        if rendered.link:
            data["link"] = rendered.link
        for i, photo_id in enumerate(photo_ids):
            data[f"attached_media[{i}]"] = {"media_fbid": photo_id}
        try:
            body = graph.post(f"{page}/feed", data)
        except ChannelError as exc:
            # (#506): this text was just posted; if it is ours, carry on with that post.
            found = self._search(graph, post) if exc.reason == "duplicate" else None
            if found is None:
                raise
            body = found
        post_id = str(body["id"])
        post.remember("post_id", post_id)
        return post_id

    def _published(self, graph: GraphClient, post_id: str) -> Published:
        try:
            body = graph.get(post_id, {"fields": "id,permalink_url"})
        except ChannelError:
            # The post is live; a failed read-back must not turn that into a failure.
            return Published(post_id, f"https://www.facebook.com/{post_id}")
        return Published(post_id, body.get("permalink_url"))

    # --- reconciliation ------------------------------------------------------------------

    def find_existing(self, post: Post) -> Published | None:
        """Find our post by its remembered id, else by its text in the time window.

        A post that exists but is not live yet counts as absent: its id is remembered so that
        `publish` only makes it live instead of creating another.
        """
        graph = self._graph()
        post_id = post.state.get("post_id")
        if post_id:
            try:
                body = graph.get(str(post_id), {"fields": "id,is_published,permalink_url"})
            except ChannelError as exc:
                if exc.reason != "not_found":
                    raise
                post.remember("post_id", None)  # deleted on the Page; look for another match
            else:
                if body.get("is_published"):
                    return Published(str(post_id), body.get("permalink_url"))
                return None
        found = self._search(graph, post)
        if found is None:
            return None
        if found.get("is_published", True):
            extra = {}
            if found.get("scheduled_publish_time"):
                extra["scheduled_publish_time"] = found["scheduled_publish_time"]
            return Published(str(found["id"]), found.get("permalink_url"), extra)
        post.remember("post_id", str(found["id"]))
        return None

    def _search(self, graph: GraphClient, post: Post) -> dict[str, Any] | None:
        wanted = normalise_text(self.message(post))
        if not wanted:
            raise ChannelError(ErrorKind.UNKNOWN, "outcome_unknown",
                               "a post without text cannot be recognised on the Page")
        page = self.account.external_id
        params: dict[str, Any] = {"limit": 100}
        if post.created_after is not None:
            params["since"] = int((post.created_after - CLOCK_SKEW).timestamp())
        listings = (
            ("feed", "id,message,created_time,is_published,permalink_url"),
            ("scheduled_posts", "id,message,created_time,is_published,permalink_url,"
             "scheduled_publish_time"),
        )
        for edge, fields in listings:
            for item in graph.pages(f"{page}/{edge}", {**params, "fields": fields}):
                if normalise_text(item.get("message") or "") != wanted:
                    continue
                created = parse_graph_time(item.get("created_time"))
                too_old = post.created_after and created and created < post.created_after - \
                    CLOCK_SKEW
                if not too_old:
                    if edge == "scheduled_posts":
                        item.setdefault("is_published", True)  # it will go out by itself
                    return item
        return None

    # --- metrics and health --------------------------------------------------------------

    def fetch_metrics(self, published: Published) -> Metrics:
        """Fetch the post's lifetime insights (reach, views, reactions, clicks)."""
        graph = self._graph()
        try:
            body = graph.get(f"{published.external_id}/insights",
                             {"metric": ",".join(POST_METRICS), "period": "lifetime"})
        except ChannelError as exc:
            if exc.platform_code == "100":  # "(#100) The value must be a valid insights metric"
                raise ChannelError(ErrorKind.PERMANENT, "misconfigured", exc.detail,
                                   platform_code="100") from exc
            raise
        raw: dict[str, Any] = {}
        for item in body.get("data") or []:
            values = item.get("values") or []
            if values:
                raw[item["name"]] = values[-1].get("value")
        normalised: dict[str, int] = {}
        for key, metric in (("reach", "post_total_media_view_unique"), ("views", "post_media_view"),
                            ("engagements", "post_reactions_by_type_total")):
            if metric in raw:
                normalised[key] = total(raw[metric])
        if "post_clicks" in raw or "post_clicks_by_type" in raw:
            normalised["clicks"] = total(raw.get("post_clicks")) or total(
                raw.get("post_clicks_by_type"))
        return Metrics(normalised=normalised, raw=raw)

    def test_connection(self) -> str:
        """Read the Page's id and name with the configured token."""
        body = self._graph().get(self.account.external_id, {"fields": "id,name"})
        return f"{body.get('name', '?')} ({body.get('id', self.account.external_id)})"

    def _graph(self) -> GraphClient:
        token = self.account.credentials.get("access_token", "")
        if not token:
            raise ChannelError(ErrorKind.PERMANENT, "token_invalid", "no Page access token set")
        return GraphClient(self.settings, self.session, token)
