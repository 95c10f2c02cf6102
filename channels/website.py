"""The website channel: a WordPress site over its REST API (platforms.md §5, §7).

Auth is an Application Password: `account.external_id` is the WordPress user name and
`account.credentials["application_password"]` the password, sent as HTTP Basic.

Publishing is two-phase so that it can be repeated safely (§7):

1. upload each image (`POST /wp/v2/media`, raw body) under a slug fixed by the marker
   (`media_slug`), remembering the attachment ids as `media_ids`; the first becomes the
   featured image, the others a core `[gallery]`;
2. make sure the initiative exists as a category and each municipality as a tag (a duplicate name
   answers 400 `term_exists` carrying the existing `term_id`, which we use; a user who may not
   create terms gets existing ones looked up, and missing ones are listed in
   `Published.extra["skipped_terms"]`);
3. create the post as a **draft** with a readable slug from the title (æ → ae, ø → oe, å → aa)
   and a short tag fixed by `post.marker` (`post_slug`), remembering the slug and then its id
   as `post_id`;
4. flip it: `POST /wp/v2/posts/{id}` with `status=publish`, or `status=future` + `date_gmt` when
   `post.scheduled_at` is ahead. Updating a post is idempotent, so step 4 may be repeated.

Steps 1–3 cannot show anything to a reader, so they resume by lookup: before a step is sent its
pending mark is remembered (`media_pending`, `draft_pending`; terms are remembered in `term_ids`),
and after a lost answer the next run looks for the result (media by slug, the draft by slug, a
term by asking again: WordPress answers term_exists) instead of repeating it. Such a lost answer
is a RETRYABLE error with `costs_attempt=False` (channels.base.invisible_step_error): no
reconciliation wait and none of the delivery's tries (at most FREE_RETRIES times). Only the
flip (step 4) can make a post visible, and only its lost answer goes through reconciliation.

`find_existing` asks by the remembered id, else by slug (also the `-2` slug WordPress gives a
second post with the same slug, the double-post signature). A **draft** it finds is "created but
not published yet": its id is put into `post.state` with `remember("post_id", …)` and None is
returned, so the next `publish` resumes at step 4 instead of creating a second post. When a live
post is found, `extra["duplicate_ids"]` lists further live copies (a double post a person should
remove) and `extra["leftover_draft_ids"]` drafts left by lost answers (harmless, never shown).
A remembered post that was deleted or trashed is forgotten and the slug search decides.

WordPress core counts no views. `fetch_metrics` reads `GET /wp-json/publisher-stats/v1/posts/{id}`
when the site has such an endpoint (the sandbox does; a stats plugin can provide it) and otherwise
reports zeros with `raw["stats"] == "unavailable"`, so nobody mistakes "unknown" for "nobody read
it".
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from channels.base import (
    Adapter,
    ChannelError,
    ErrorKind,
    MediaItem,
    MediaRules,
    Metrics,
    Post,
    Problem,
    Published,
    Rendered,
    invisible_step_error,
)
from channels.transport import transport_error
from channels.website_errors import classify_response, json_or_none

TITLE_MAX = 200  # our own limit: WordPress accepts longer titles, themes and feeds do not
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
SLUG_MAX = 190  # leaves room for WordPress's "-2" suffix inside its 200-character column
TITLE_SLUG_MAX = 80  # the readable part of a slug; a tag follows it
LISTED_STATUSES = "publish,future,draft,pending,private"
LIVE_STATUSES = ("publish", "future", "private")

R, P = ErrorKind.RETRYABLE, ErrorKind.PERMANENT


def render(post: Post, options: Mapping[str, Any] | None = None) -> Rendered:
    """The article as it goes out: title, content (ending with the post's link), images.

    The first image becomes the featured image and the others a gallery after the content
    (the gallery needs the attachment ids the upload gives, so `publish` adds it).
    """
    content = post.html or "".join(
        f"<p>{html.escape(part)}</p>" for part in post.text.split("\n\n") if part.strip()
    )
    if post.link and post.link not in content:
        label = str((options or {}).get("link_label") or "Læs mere")
        href = html.escape(post.link, quote=True)
        content += f'<p><a href="{href}">{html.escape(label)}</a></p>'
    return Rendered(text=post.text, title=post.title, html=content, images=tuple(post.media),
                    length=len(post.title.strip()), limit=TITLE_MAX)


def media_slug(post: Post, index: int) -> str:
    """The slug our index-th image of this delivery is uploaded under (found again by it)."""
    return f"{slug_for(post.marker)}-img-{index + 1}"


def slug_for(marker: str) -> str:
    """Return the slug earlier versions derived from the marker alone (still looked for)."""
    slug = re.sub(r"[^a-z0-9]+", "-", marker.lower()).strip("-")
    if not slug:
        slug = "p-" + hashlib.sha256(marker.encode()).hexdigest()[:16]
    return slug[:SLUG_MAX].rstrip("-")


# Danish letters as Danes write them without (WordPress's own remove_accents for da_DK).
TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "ä": "ae", "ö": "oe",
                               "ü": "ue", "é": "e", "è": "e", "á": "a", "í": "i", "ó": "o",
                               "ú": "u", "ß": "ss"})  # fmt: skip


def readable(title: str, limit: int = TITLE_SLUG_MAX) -> str:
    """A slug a reader can read: lower case, æ → ae, ø → oe, å → aa, words joined by '-'."""
    text = unicodedata.normalize("NFKC", title).lower().translate(TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return words[:limit].rstrip("-")


def post_slug(post: Post) -> str:
    """The post's slug: its title made readable, plus a short tag fixed by the delivery marker.

    The tag keeps two posts with the same title apart, so the slug still finds exactly ours.
    """
    tag = hashlib.sha256(post.marker.encode()).hexdigest()[:6]
    words = readable(post.title)
    return f"{words}-{tag}" if words else f"p-{tag}"


def _gmt(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


class WebsiteAdapter(Adapter):
    """Publish articles and events to a WordPress site as posts."""

    render = staticmethod(render)  # the same function previews use

    platform = "website"
    media_rules = MediaRules(mime_types=IMAGE_TYPES)

    # -- transport ------------------------------------------------------------------------------

    def _url(self, route: str) -> str:
        return self.settings.base_url.rstrip("/") + "/wp-json" + route

    def _call(self, method: str, route: str, *, write: bool, **kwargs: Any) -> Any:
        """Make one REST call and return its JSON, or raise a classified ChannelError."""
        response = self._request(method, route, write=write, **kwargs)
        body = json_or_none(response)
        if response.status_code >= 400 or body is None:
            raise classify_response(response, write=write)
        return body

    def _request(
        self,
        method: str,
        route: str,
        *,
        write: bool,
        json_body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one REST call (kwargs go to requests); only transport failures raise here."""
        password = self.account.credentials.get("application_password", "")
        try:
            return self.session.request(
                method,
                self._url(route),
                json=json_body,
                auth=(self.account.external_id, password),
                timeout=self.settings.timeout,
                **kwargs,
            )
        except requests.RequestException as exc:
            raise transport_error(exc, write=write) from exc

    # -- the four calls -------------------------------------------------------------------------

    def validate(self, post: Post) -> list[Problem]:
        """Return the site's rules that `post` breaks."""
        problems: list[Problem] = []
        title = post.title.strip()
        if not title:
            problems.append(
                Problem(
                    "title",
                    "required",
                    "Artiklen skal have en titel.",
                    "The article needs a title.",
                )
            )
        elif len(title) > TITLE_MAX:
            problems.append(
                Problem(
                    "title",
                    "too_long",
                    f"Titlen må højst være {TITLE_MAX} tegn (den er {len(title)}).",
                    f"The title may be at most {TITLE_MAX} characters (it is {len(title)}).",
                )
            )
        if not (post.html or post.text).strip():
            problems.append(
                Problem(
                    "body",
                    "required",
                    "Artiklen skal have en brødtekst.",
                    "The article needs a body.",
                )
            )
        for index, item in enumerate(post.media):
            if item.mime_type not in IMAGE_TYPES:
                problems.append(
                    Problem(
                        f"media[{index}]",
                        "media_type",
                        f"Billedtypen {item.mime_type} kan ikke bruges (kun JPEG, PNG, GIF, WebP).",
                        f"Image type {item.mime_type} cannot be used (JPEG, PNG, GIF or WebP).",
                    )
                )
            elif not item.path:
                problems.append(
                    Problem(
                        f"media[{index}]",
                        "media_missing",
                        "Billedfilen mangler, så den kan ikke lægges op på hjemmesiden.",
                        "The image file is missing, so it cannot be uploaded to the website.",
                    )
                )
        return problems

    def publish(self, post: Post) -> Published:
        """Upload media, create the draft, then publish or schedule it (resuming from state)."""
        post_id = post.state.get("post_id")
        extra: dict[str, Any] = {}
        if not post_id:
            media_ids = self._upload_media(post)
            categories, tags, skipped = self._terms(post)
            if skipped:
                extra["skipped_terms"] = skipped
            post_id = self._create_draft(post, media_ids, categories, tags)
        result = self._call(
            "POST", f"/wp/v2/posts/{post_id}", write=True, json_body=self._flip_body(post)
        )
        status = str(result.get("status"))
        if status not in LIVE_STATUSES:
            raise ChannelError(
                P,
                "permission_missing",
                f"WordPress kept post {post_id} as {status!r} (the user may not publish)",
            )
        extra.update(status=status, slug=result.get("slug"), date_gmt=result.get("date_gmt"))
        return Published(str(post_id), result.get("link"), extra)

    def find_existing(self, post: Post) -> Published | None:
        """Find our post by remembered id or slug; a found draft is remembered and gives None."""
        post_id = post.state.get("post_id")
        if post_id:
            try:
                found = self._call(
                    "GET", f"/wp/v2/posts/{post_id}", write=False, params={"context": "edit"}
                )
            except ChannelError as exc:
                if exc.platform_code != "rest_post_invalid_id":
                    raise
                # Deleted for good on the site: forget the id and look by slug instead.
                post.remember("post_id", None)
            else:
                if found.get("status") in LIVE_STATUSES:
                    return self._published(found)
                if found.get("status") != "trash":
                    return None  # a draft we made: publish() resumes at the flip
                # Trashed: treated like deleted (the slug search below skips the trash).
                post.remember("post_id", None)
        return self._find_by_slug(post)

    def fetch_metrics(self, published: Published) -> Metrics:
        """Read view counts from the site's stats endpoint, or report that there is none."""
        try:
            stats = self._call(
                "GET", f"/publisher-stats/v1/posts/{published.external_id}", write=False
            )
        except ChannelError as exc:
            if exc.http_status != 404 or exc.platform_code == "rest_post_invalid_id":
                raise  # a 404 for the post itself means the post is gone, not the endpoint
            # No stats endpoint means "no data", which is not the same as nobody reading it.
            return Metrics(
                {}, {"stats": "unavailable", "note": "no stats endpoint", "detail": exc.detail}
            )
        views = int(stats.get("views") or 0)
        visitors = int(stats.get("visitors") or 0)
        return Metrics({"views": views, "reach": visitors}, dict(stats))

    def discard(self, post: Post) -> list[str]:
        """Delete our never-published draft and the images uploaded for it; list what stays."""
        left: list[str] = []
        post_id = post.state.get("post_id")
        if post_id:
            try:
                found = self._call("GET", f"/wp/v2/posts/{post_id}", write=False,
                                   params={"context": "edit"})
                if found.get("status") in LIVE_STATUSES:
                    return []  # live after all: nothing of it is an orphan
                self._call("DELETE", f"/wp/v2/posts/{post_id}", write=True,
                           params={"force": "true"})
                post.remember("post_id", None)
                post.remember("draft_pending", None)
            except ChannelError as exc:
                if exc.platform_code != "rest_post_invalid_id":
                    left.append(f"WordPress draft {post_id} ({exc.reason})")
        kept: list[int] = []
        for media_id in [int(i) for i in post.state.get("media_ids") or []]:
            try:
                self._call("DELETE", f"/wp/v2/media/{media_id}", write=True,
                           params={"force": "true"})
            except ChannelError as exc:
                if exc.platform_code != "rest_post_invalid_id":
                    kept.append(media_id)
                    left.append(f"WordPress media {media_id} ({exc.reason})")
        post.remember("media_ids", kept)
        return left

    def test_connection(self) -> str:
        """Check the application password with GET /wp/v2/users/me."""
        me = self._call("GET", "/wp/v2/users/me", write=False, params={"context": "edit"})
        return f"WordPress: logged in as {me.get('name')} (user {me.get('id')})"

    # -- steps ----------------------------------------------------------------------------------

    @staticmethod
    def _invisible(post: Post, exc: ChannelError) -> ChannelError:
        """Uploads, terms and the draft show nothing and are found again by lookup."""
        if exc.kind is not ErrorKind.UNKNOWN:
            return exc  # a 429 or a refused connection keeps its own wait and cost
        return invisible_step_error(post, exc)

    def _upload_media(self, post: Post) -> list[int]:
        """Upload images not uploaded yet (an unanswered one is looked up by its slug first)."""
        media_ids: list[int] = [int(i) for i in post.state.get("media_ids") or []]
        for index in range(len(media_ids), len(post.media)):
            slug = media_slug(post, index)
            found = self._find_media(slug) if post.state.get("media_pending") == slug else None
            if found is None:
                post.remember("media_pending", slug)
                try:
                    found = self._upload(post.media[index], slug)
                except ChannelError as exc:
                    raise self._invisible(post, exc) from exc
            media_ids.append(found)
            post.remember("media_ids", list(media_ids))
        if post.state.get("media_pending"):
            post.remember("media_pending", None)
        return media_ids

    def _upload(self, item: MediaItem, slug: str) -> int:
        """Upload one image under our slug (so it can be found again); return its id."""
        if not item.path:
            raise ChannelError(P, "invalid_media", f"no local file for {item.url}")
        try:
            content = Path(item.path).read_bytes()
        except OSError as exc:
            raise ChannelError(P, "invalid_media", f"cannot read {item.path}: {exc}") from exc
        filename = Path(item.path).name.replace('"', "")
        params = {"slug": slug, **({"alt_text": item.alt_text} if item.alt_text else {})}
        attachment = self._call(
            "POST",
            "/wp/v2/media",
            write=True,
            data=content,
            params=params,
            headers={
                "Content-Type": item.mime_type,
                "Content-Disposition": f'attachment; filename="{filename}"',
            },
        )
        return int(attachment["id"])

    def _find_media(self, slug: str) -> int | None:
        """The id of the attachment we uploaded under `slug`, if the site has it."""
        found = self._call("GET", "/wp/v2/media", write=False,
                           params={"slug": slug, "per_page": 5, "context": "edit"})
        return int(found[0]["id"]) if found else None

    def _create_draft(
        self, post: Post, media_ids: list[int], categories: list[int], tags: list[int]
    ) -> int:
        """Create the (invisible) draft once: an unanswered create is looked up by slug."""
        body = self._draft_body(post, media_ids, categories, tags)
        if post.state.get("draft_pending"):
            live = self._find_by_slug(post)  # a draft of ours is remembered as post_id
            if live is not None:
                return int(live.external_id)  # flipping it again changes nothing
            if post.state.get("post_id"):
                return int(post.state["post_id"])
        post.remember("draft_pending", True)
        try:
            draft = self._call("POST", "/wp/v2/posts", write=True, json_body=body)
        except ChannelError as exc:
            raise self._invisible(post, exc) from exc
        post_id = int(draft["id"])
        post.remember("post_id", post_id)
        return post_id

    def _terms(self, post: Post) -> tuple[list[int], list[int], list[str]]:
        """Ensure the initiative category and municipality tags exist; return their ids."""
        skipped: list[str] = []
        categories: list[int] = []
        tags: list[int] = []
        names = [("categories", post.initiative_name)] if post.initiative_name else []
        names += [("tags", name) for name in post.municipality_names]
        known: dict[str, int | None] = dict(post.state.get("term_ids") or {})
        for taxonomy, name in names:
            key = f"{taxonomy}:{name}"
            if key in known:
                term_id = known[key]
            else:
                try:  # a lost create is harmless: asked again, WordPress answers term_exists
                    term_id = self._ensure_term(taxonomy, name)
                except ChannelError as exc:
                    raise self._invisible(post, exc) from exc
                known[key] = term_id
                post.remember("term_ids", dict(known))
            if term_id is None:
                skipped.append(name)
            else:
                (categories if taxonomy == "categories" else tags).append(term_id)
        return categories, tags, skipped

    def _ensure_term(self, taxonomy: str, name: str) -> int | None:
        """Create a term or find the existing one; None when the user may not create terms."""
        route = f"/wp/v2/{taxonomy}"
        response = self._request("POST", route, write=True, json_body={"name": name})
        body = json_or_none(response)
        if response.status_code < 300 and isinstance(body, dict) and "id" in body:
            return int(body["id"])
        if isinstance(body, dict) and body.get("code") == "term_exists":
            term_id = (body.get("data") or {}).get("term_id")
            if term_id is not None:
                return int(term_id)
        if response.status_code not in (401, 403) or not isinstance(body, dict):
            raise classify_response(response, write=True)
        # Authors may tag with existing terms but not create them: look the name up.
        found = self._call("GET", route, write=False, params={"search": name, "per_page": 100})
        for term in found:
            if html.unescape(str(term.get("name", ""))).casefold() == name.casefold():
                return int(term["id"])
        return None

    def _draft_body(
        self, post: Post, media_ids: list[int], categories: list[int], tags: list[int]
    ) -> dict[str, Any]:
        rendered = render(post, self.account.options)
        body: dict[str, Any] = {
            # WordPress shows the title as HTML (`title.rendered`), unfiltered for accounts that
            # may post unfiltered HTML: send it as text (channels/markup.md).
            "title": html.escape(rendered.title, quote=False),
            "content": rendered.html or "",
            "status": "draft",
            "slug": self._slug(post),
            "categories": categories,
            "tags": tags,
        }
        if media_ids:
            body["featured_media"] = media_ids[0]
        if len(media_ids) > 1:
            # Core's gallery shortcode shows the other images; it needs only attachment ids.
            body["content"] += f'\n[gallery ids="{",".join(str(i) for i in media_ids[1:])}"]'
        return body

    @staticmethod
    def _flip_body(post: Post) -> dict[str, Any]:
        when = post.scheduled_at
        if when is not None and when > datetime.now(UTC):
            # WordPress itself stores "future" less than 60 s ahead as "publish".
            return {"status": "future", "date_gmt": _gmt(when)}
        return {"status": "publish"}

    @staticmethod
    def _slug(post: Post) -> str:
        """The slug chosen at the first try, remembered so a renamed title cannot lose it."""
        slug = post.state.get("slug")
        if not slug:
            slug = post_slug(post)
            post.remember("slug", slug)
        return str(slug)

    def _find_by_slug(self, post: Post) -> Published | None:
        slugs = [str(post.state.get("slug") or post_slug(post)), slug_for(post.marker)]
        found = self._call(
            "GET",
            "/wp/v2/posts",
            write=False,
            params={
                "slug": ",".join(f"{slug},{slug}-2" for slug in slugs),
                "status": LISTED_STATUSES,
                "context": "edit",
                "per_page": 100,
                "orderby": "id",
                "order": "asc",
            },
        )
        ours = sorted(found, key=lambda item: int(item["id"]))
        live = [item for item in ours if item.get("status") in LIVE_STATUSES]
        if live:
            found = self._published(live[0])
            # More than one live post is the "-2" double-post signature; say so, keep the first.
            found.extra["duplicate_ids"] = [int(item["id"]) for item in live[1:]]
            found.extra["leftover_draft_ids"] = [
                int(item["id"]) for item in ours if item.get("status") not in LIVE_STATUSES
            ]
            return found
        if ours:
            # Created (maybe more than once) but never published: resume with the oldest draft.
            post.remember("post_id", int(ours[0]["id"]))
        return None

    @staticmethod
    def _published(item: dict[str, Any]) -> Published:
        extra: dict[str, Any] = {"status": item.get("status"), "slug": item.get("slug")}
        return Published(str(item["id"]), item.get("link"), extra)
