"""Instagram professional accounts through the Graph API (facebook-sdk transport: graph.py).

`account.external_id` is the IG user id and `account.credentials["access_token"]` the token
(with Facebook Login: the Page token; `settings.base_url` picks graph.facebook.com or
graph.instagram.com).

Publishing is container → status → media_publish (platforms.md §3). Containers are invisible, so
re-creating one is harmless; `media_publish` is not idempotent, so every container id is
remembered the moment it is known and a remembered container is asked for its `status_code`
first: PUBLISHED means it went out, and the media is looked up instead of publishing again.

Options (`settings.options`): status_poll_interval (s, default 1.0) and status_poll_attempts
(default 4) bound the wait for FINISHED; max_hashtags (default 5) is the house limit below the
API's 30; allow_private_media_urls lets image URLs point at localhost (sandbox demos);
treat_2207001_as_spam reads -1/2207001 as a policy block, as Postiz does.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
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
    invisible_step_error,
)
from channels.graph import GraphClient, normalise_text, parse_graph_time
from channels.graph_errors import classify_subcode

MAX_CAPTION = 2200
MAX_HASHTAGS_API = 30
MAX_MENTIONS = 20
MAX_ALT_TEXT = 1000
MAX_CAROUSEL = 10
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MIN_ASPECT, MAX_ASPECT = 4 / 5, 1.91
CLOCK_SKEW = timedelta(minutes=5)
WEB = ("http", "https")
MEDIA_METRICS = ("views", "reach", "likes", "comments", "shares", "saved", "total_interactions")
HASHTAG = re.compile(r"(?<!\w)#\w+")
MENTION = re.compile(r"(?<!\w)@[\w.]+")
# Errors after which a remembered container is useless and must be created again.
CONTAINER_GONE = {"-2/2207020", "24/2207006", "24/2207008", "-1/2207032", "-1/2207053"}


def _problem(field: str, code: str, da: str, en: str, level: str = "error") -> Problem:
    return Problem(field=field, code=code, message_da=da, message_en=en, level=level)


def is_public_url(url: str) -> bool:
    """Whether Meta's servers could fetch `url` (http(s), ASCII, not a private host)."""
    if not url.isascii():
        return False
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal", ".lan")):
        return False
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return "." in host  # a single-label name only resolves on a private network


def render(post: Post, options: Mapping[str, Any] | None = None) -> Rendered:
    """The Instagram post as it goes out: the images and the caption, as written.

    Links in a caption are not clickable on Instagram, so the post's link is not added (the
    caption keeps any link its author typed; validation warns about it).
    """
    caption = post.text or ""
    return Rendered(text=caption, images=tuple(post.media), length=len(caption),
                    limit=MAX_CAPTION)


class InstagramAdapter(Adapter):
    """Publish images and carousels to an Instagram professional account."""

    render = staticmethod(render)  # the same function previews use

    platform = "instagram"
    text_rules = TextRules(limit=MAX_CAPTION)
    media_rules = MediaRules(max_images=MAX_CAROUSEL, max_bytes=MAX_IMAGE_BYTES,
                             mime_types=("image/jpeg",), min_aspect=MIN_ASPECT,
                             max_aspect=MAX_ASPECT, required=True)

    # --- validation ----------------------------------------------------------------------

    def validate(self, post: Post) -> list[Problem]:
        """Return the rules `post` breaks: images (JPEG, ≤ 8 MB, 4:5–1.91:1, public), caption."""
        problems = self._caption_problems(render(post, self.account.options).text)
        if not post.media:
            problems.append(_problem("media", "image_required",
                                     "Instagram kræver mindst ét billede.",
                                     "Instagram needs at least one image."))
        if len(post.media) > MAX_CAROUSEL:
            problems.append(_problem(
                "media", "too_many_images",
                f"Et Instagram-karrusel kan have højst {MAX_CAROUSEL} billeder.",
                f"An Instagram carousel can have at most {MAX_CAROUSEL} images.",
            ))
        allow_private = bool(self.settings.options.get("allow_private_media_urls"))
        for i, item in enumerate(post.media):
            field = f"media[{i}]"
            if item.mime_type != "image/jpeg":
                problems.append(_problem(field, "image_format",
                                         "Instagram tager kun JPEG-billeder.",
                                         "Instagram only takes JPEG images."))
            if item.size_bytes > MAX_IMAGE_BYTES:
                problems.append(_problem(field, "image_too_large",
                                         "Billedet er større end 8 MB.",
                                         "The image is larger than 8 MB."))
            if item.width and item.height:
                ratio = item.width / item.height
                if ratio < MIN_ASPECT - 0.001 or ratio > MAX_ASPECT + 0.001:
                    problems.append(_problem(
                        field, "image_aspect",
                        "Billedformatet skal ligge mellem 4:5 (højt) og 1,91:1 (bredt).",
                        "The aspect ratio must be between 4:5 (tall) and 1.91:1 (wide).",
                    ))
            fetchable = is_public_url(item.url) or (
                allow_private and item.url.isascii() and urlsplit(item.url).scheme in WEB
            )
            if not fetchable:
                problems.append(_problem(
                    field, "image_url_not_public",
                    "Instagram henter selv billedet, så adressen skal være offentlig (http/https).",
                    "Instagram fetches the image itself: the address must be public (http/https).",
                ))
            if len(item.alt_text) > MAX_ALT_TEXT:
                problems.append(_problem(field, "alt_text_too_long",
                                         f"Alt-teksten må højst være {MAX_ALT_TEXT} tegn.",
                                         f"The alt text may be at most {MAX_ALT_TEXT} characters."))
        return problems

    def _caption_problems(self, caption: str) -> list[Problem]:
        problems: list[Problem] = []
        limit = self.text_rules.limit
        if limit is not None and len(caption) > limit:
            problems.append(_problem(
                "text", "text_too_long",
                f"Teksten er {len(caption)} tegn; Instagram tillader højst {limit}.",
                f"The text is {len(caption)} characters; Instagram allows at most {limit}.",
            ))
        hashtags = len(HASHTAG.findall(caption))
        house_limit = int(self.settings.options.get("max_hashtags", 5))
        if hashtags > MAX_HASHTAGS_API:
            problems.append(_problem(
                "text", "too_many_hashtags",
                f"Teksten har {hashtags} hashtags; Instagram tillader højst {MAX_HASHTAGS_API}.",
                f"The text has {hashtags} hashtags; Instagram allows at most {MAX_HASHTAGS_API}.",
            ))
        elif hashtags > house_limit:
            problems.append(_problem(
                "text", "hashtags_over_house_limit",
                f"Teksten har {hashtags} hashtags; Instagram viser nu højst {house_limit}.",
                f"The text has {hashtags} hashtags; Instagram now shows at most {house_limit}.",
                level="warning",
            ))
        mentions = len(MENTION.findall(caption))
        if mentions > MAX_MENTIONS:
            problems.append(_problem(
                "text", "too_many_mentions",
                f"Teksten nævner {mentions} konti; Instagram tillader højst {MAX_MENTIONS}.",
                f"The text mentions {mentions} accounts; Instagram allows at most {MAX_MENTIONS}.",
            ))
        return problems

    # --- publishing ----------------------------------------------------------------------

    def publish(self, post: Post) -> Published:
        """Create (or resume) the container, wait until FINISHED, check quota, publish."""
        graph = self._graph()
        if post.state.get("ig_media_id"):
            return self._published(graph, str(post.state["ig_media_id"]))
        container = post.state.get("ig_container")
        status = None
        if container:
            status = self._status(graph, str(container))
            if status[0] == "PUBLISHED":
                return self._already_published(graph, post)
            if status[0] == "EXPIRED":
                self._forget_containers(post)
                container, status = None, None
        self._check_quota(graph)
        if not container:
            try:  # containers are invisible: a lost one expires unseen within 24 h
                container = self._create_containers(graph, post)
            except ChannelError as exc:
                raise invisible_step_error(post, exc) from exc
        self._wait_until_finished(graph, post, str(container), status)
        try:
            body = graph.post(f"{self.account.external_id}/media_publish",
                              {"creation_id": container})
        except ChannelError as exc:
            if exc.platform_code in CONTAINER_GONE:
                self._forget_containers(post)
            raise
        media_id = str(body["id"])
        post.remember("ig_media_id", media_id)
        return self._published(graph, media_id)

    def _create_containers(self, graph: GraphClient, post: Post) -> str:
        user = self.account.external_id
        caption = render(post, self.account.options).text or None
        if len(post.media) == 1:
            item = post.media[0]
            data = {"image_url": item.url, "caption": caption, "alt_text": item.alt_text or None}
            container = str(graph.post(f"{user}/media", data, write=False)["id"])
            post.remember("ig_container", container)
            return container
        children: list[str | None] = list(post.state.get("ig_children") or [])
        children += [None] * (len(post.media) - len(children))
        for i, item in enumerate(post.media):
            if children[i]:
                continue
            data = {"image_url": item.url, "is_carousel_item": "true",
                    "alt_text": item.alt_text or None}
            children[i] = str(graph.post(f"{user}/media", data, write=False)["id"])
            post.remember("ig_children", list(children))
        data = {"media_type": "CAROUSEL", "children": ",".join(str(c) for c in children),
                "caption": caption}
        try:
            container = str(graph.post(f"{user}/media", data, write=False)["id"])
        except ChannelError as exc:
            if exc.platform_code in CONTAINER_GONE:
                self._forget_containers(post)  # a child expired: start the carousel over
            raise
        post.remember("ig_container", container)
        return container

    def _wait_until_finished(
        self, graph: GraphClient, post: Post, container: str, status: tuple[str, str] | None
    ) -> None:
        interval = float(self.settings.options.get("status_poll_interval", 1.0))
        attempts = int(self.settings.options.get("status_poll_attempts", 4))
        for attempt in range(attempts):
            if attempt > 0:
                time.sleep(interval)
            if status is None or attempt > 0:
                status = self._status(graph, container)
            code, detail = status
            if code == "FINISHED":
                return
            if code == "PUBLISHED":
                raise ChannelError(ErrorKind.UNKNOWN, "outcome_unknown",
                                   f"container {container} was published meanwhile")
            if code in ("ERROR", "EXPIRED"):
                self._forget_containers(post)
                raise self._container_failed(container, code, detail)
        raise ChannelError(ErrorKind.RETRYABLE, "media_processing",
                           f"container {container} still IN_PROGRESS",
                           retry_after=max(interval * attempts, 5.0))

    def _status(self, graph: GraphClient, container: str) -> tuple[str, str]:
        """The container's status_code and its status text."""
        body = graph.get(container, {"fields": "status_code,status"})
        return str(body.get("status_code") or "IN_PROGRESS"), str(body.get("status") or "")

    @staticmethod
    def _container_failed(container: str, code: str, detail: str) -> ChannelError:
        if code == "EXPIRED":
            return ChannelError(ErrorKind.RETRYABLE, "media_processing",
                                f"container {container} expired")
        # `status` may name the failure's subcode, e.g. "... error code 2207003".
        match = re.search(r"\b(220\d{4})\b", detail)
        error = classify_subcode(int(match.group(1)), detail) if match else None
        if error is not None:
            return error
        return ChannelError(ErrorKind.PERMANENT, "media_failed",
                            f"container {container}: {detail or 'ERROR'}")

    def _forget_containers(self, post: Post) -> None:
        post.remember("ig_container", None)
        post.remember("ig_children", None)

    def _already_published(self, graph: GraphClient, post: Post) -> Published:
        found = self._search(graph, post)
        if found is None:
            raise ChannelError(ErrorKind.UNKNOWN, "outcome_unknown",
                               "the container is PUBLISHED but its media was not found")
        return found

    def _check_quota(self, graph: GraphClient) -> None:
        user = self.account.external_id
        body = graph.get(f"{user}/content_publishing_limit", {"fields": "quota_usage,config"})
        entry = (body.get("data") or [{}])[0]
        config = entry.get("config") or {}
        usage, quota = int(entry.get("quota_usage") or 0), int(config.get("quota_total") or 50)
        if usage < quota:
            return
        duration = int(config.get("quota_duration") or 86400)
        raise ChannelError(ErrorKind.RETRYABLE, "quota_exhausted",
                           f"{usage} of {quota} posts used in the last {duration} s",
                           retry_after=self._quota_frees_in(graph, duration),
                           platform_code="9/2207042")

    def _quota_frees_in(self, graph: GraphClient, duration: int) -> float:
        """Seconds until the oldest post of the window leaves it (an hour when unknown)."""
        since = int(time.time()) - duration
        try:
            body = graph.get(f"{self.account.external_id}/media",
                             {"fields": "timestamp", "since": since, "limit": 100})
        except ChannelError:
            return 3600.0
        stamps = [parse_graph_time(m.get("timestamp")) for m in body.get("data") or []]
        known = [s.timestamp() for s in stamps if s is not None]
        if not known:
            return 3600.0
        return max(60.0, min(known) + duration - time.time())

    def _published(self, graph: GraphClient, media_id: str) -> Published:
        try:
            body = graph.get(media_id, {"fields": "id,permalink,timestamp"})
        except ChannelError:
            return Published(media_id)  # it is live; a failed read-back must not say otherwise
        return Published(media_id, body.get("permalink"), {"timestamp": body.get("timestamp")})

    # --- reconciliation ------------------------------------------------------------------

    def find_existing(self, post: Post) -> Published | None:
        """Find our media by its remembered id, else by caption among recent media."""
        graph = self._graph()
        media_id = post.state.get("ig_media_id")
        if media_id:
            return self._published(graph, str(media_id))
        found = self._search(graph, post)
        if found is not None:
            return found
        container = post.state.get("ig_container")
        if container and self._status(graph, str(container))[0] == "PUBLISHED":
            raise ChannelError(ErrorKind.UNKNOWN, "outcome_unknown",
                               "the container is PUBLISHED but its media was not found")
        return None

    def _search(self, graph: GraphClient, post: Post) -> Published | None:
        wanted = normalise_text(post.text or "")
        if not wanted:
            raise ChannelError(ErrorKind.UNKNOWN, "outcome_unknown",
                               "media without a caption cannot be recognised")
        params: dict[str, Any] = {"fields": "id,caption,timestamp,permalink", "limit": 50}
        since = post.created_after or datetime.now(UTC) - timedelta(days=2)
        params["since"] = int((since - CLOCK_SKEW).timestamp())
        for item in graph.pages(f"{self.account.external_id}/media", params):
            if normalise_text(item.get("caption") or "") == wanted:
                media_id = str(item["id"])
                post.remember("ig_media_id", media_id)
                return Published(media_id, item.get("permalink"),
                                 {"timestamp": item.get("timestamp")})
        return None

    # --- metrics and health --------------------------------------------------------------

    def fetch_metrics(self, published: Published) -> Metrics:
        """Fetch the media's lifetime insights."""
        try:
            body = self._graph().get(f"{published.external_id}/insights",
                                     {"metric": ",".join(MEDIA_METRICS)})
        except ChannelError as exc:
            if exc.platform_code == "100":  # a retired metric: our list needs updating
                raise ChannelError(ErrorKind.PERMANENT, "misconfigured", exc.detail,
                                   platform_code="100") from exc
            raise
        raw: dict[str, Any] = {}
        for item in body.get("data") or []:
            values = item.get("values") or []
            if values:
                raw[item["name"]] = values[-1].get("value")
            elif "total_value" in item:
                raw[item["name"]] = (item["total_value"] or {}).get("value")
        names = {"reach": "reach", "views": "views", "engagements": "total_interactions",
                 "likes": "likes", "comments": "comments", "shares": "shares", "saves": "saved"}
        normalised = {key: int(raw[metric]) for key, metric in names.items()
                      if isinstance(raw.get(metric), int | float)}
        return Metrics(normalised=normalised, raw=raw)

    def test_connection(self) -> str:
        """Read the account's id and username with the configured token."""
        body = self._graph().get(self.account.external_id, {"fields": "id,username"})
        return f"@{body.get('username', '?')} ({body.get('id', self.account.external_id)})"

    def _graph(self) -> GraphClient:
        token = self.account.credentials.get("access_token", "")
        if not token:
            raise ChannelError(ErrorKind.PERMANENT, "token_invalid", "no access token set")
        spam = bool(self.settings.options.get("treat_2207001_as_spam"))
        return GraphClient(self.settings, self.session, token, server_error_is_spam=spam)

