"""X (Twitter) through tweepy's v2 `Client`, plus a direct v2 media upload on tweepy's session.

tweepy calls the literal host https://api.twitter.com, so the adapter mounts a transport on the
session for that host (and https://api.x.com, which the media upload uses) that gives every call
the configured timeout and, unless `settings.base_url` is X itself, rewrites the host to
`settings.base_url` (the sandbox). Against X itself nothing is rewritten, because the OAuth 1.0a
signature covers the original URL.

Credentials (`account.credentials`): consumer_key, consumer_secret, access_token and
access_token_secret for OAuth 1.0a user context, or bearer_token holding an OAuth 2.0 user token.
`account.external_id` is the X user id (used to search the account's own posts; asked from
/2/users/me when empty). Options (`account.options`): max_weighted_length (default 280, for
premium accounts) and username (for post URLs; default the i/web form).

A `post.link` not already in the text is appended to it (X has no separate link field).
`post.state` keeps media_ids (and media_expires_at: unattached media expire, so stale ids are
uploaded again) and tweet_id; a remembered tweet_id means the post is out.

X has no create-then-publish split and no idempotency key, so a create that may have gone
through is reported as UNKNOWN and `find_existing` matches the text of the account's recent posts
(URLs compared through `entities.urls[].expanded_url`, since X returns t.co links).
"""

from __future__ import annotations

import html
import mimetypes
import os
import re
import time
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
import tweepy
from requests.adapters import HTTPAdapter

from channels.base import (
    Account,
    Adapter,
    ChannelError,
    ChannelSettings,
    ErrorKind,
    MediaItem,
    MediaRules,
    Metrics,
    Post,
    Problem,
    Published,
    Rendered,
    TextRules,
)
from channels.x_errors import error_from_response, transport_error
from channels.x_text import MAX_WEIGHTED_LENGTH, find_urls, weighted_length

__all__ = ["XAdapter", "weighted_length"]

API_HOST = "https://api.x.com"
TWEEPY_HOST = "https://api.twitter.com"
REAL_HOSTS = (API_HOST, TWEEPY_HOST)
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
MEDIA_LIFETIME = 23 * 3600  # X keeps unattached media ~24 h; re-upload a bit before that
SEARCH_PAGES = 5  # at most 500 recent posts are compared by find_existing
DEFAULT_WINDOW = timedelta(days=7)  # when a post carries no created_after
CLOCK_SKEW = timedelta(minutes=5)  # X's clock and ours may differ


class _XTransport(HTTPAdapter):
    """Give every call a timeout and send X-bound requests to the configured base URL."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/") if base_url else None
        self.timeout = timeout

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, timeout: Any = None, **kwargs: Any
    ) -> requests.Response:
        if self.base_url and request.url:
            parts = urlsplit(request.url)
            request.url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, timeout=timeout or self.timeout, **kwargs)


def _problem(field: str, code: str, da: str, en: str) -> Problem:
    return Problem(field=field, code=code, message_da=da, message_en=en)


def _canonical_url(url: str) -> str:
    """Compare URLs without scheme, www., case of the host or a trailing slash."""
    url = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
    host, sep, rest = url.partition("/")
    host = host.lower().removeprefix("www.")
    return (host + sep + rest).rstrip("/")


def canonical_text(text: str) -> str:
    """Normalise a post text for matching: NFC, canonical URLs, single spaces."""
    text = unicodedata.normalize("NFC", text)
    parts, pos = [], 0
    for start, end in find_urls(text):
        parts += [text[pos:start], _canonical_url(text[start:end])]
        pos = end
    parts.append(text[pos:])
    return " ".join("".join(parts).split())


def expanded_text(tweet: dict[str, Any]) -> str:
    """A returned post's text with t.co links expanded and the media link removed."""
    text = tweet.get("text", "")
    for entity in (tweet.get("entities") or {}).get("urls", []):
        short = entity.get("url", "")
        if not short:
            continue
        expanded = entity.get("expanded_url") or short
        is_media = "media_key" in entity or re.search(r"/(photo|video)/\d+$", expanded)
        text = text.replace(short, "" if is_media else expanded)
    return html.unescape(text)  # X escapes &, < and > in returned text


def render(post: Post, options: Mapping[str, Any] | None = None) -> Rendered:
    """The X post as it goes out: the text with the link at its end (X makes a card of it).

    `length` is X's weighted count (a link counts 23); `limit` the account's maximum.
    """
    text = post.text.strip()
    if post.link and post.link not in text:
        text = f"{text}\n\n{post.link}" if text else post.link
    limit = int((options or {}).get("max_weighted_length", MAX_WEIGHTED_LENGTH))
    return Rendered(text=text, images=tuple(post.media), length=weighted_length(text),
                    limit=limit)


class XAdapter(Adapter):
    """Publish short posts with up to four images to one X account."""

    render = staticmethod(render)  # the same function previews use

    platform = "x"
    text_rules = TextRules(limit=MAX_WEIGHTED_LENGTH, measure=weighted_length)
    media_rules = MediaRules(max_images=MAX_IMAGES, max_bytes=MAX_IMAGE_BYTES,
                             mime_types=IMAGE_TYPES)

    def __init__(
        self,
        account: Account,
        settings: ChannelSettings,
        session: requests.Session | None = None,
    ) -> None:
        super().__init__(account, settings, session)
        creds = account.credentials
        oauth1 = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
        self.user_auth = all(creds.get(k) for k in oauth1)
        self.client: tweepy.Client | None = None
        if self.user_auth or creds.get("bearer_token"):
            self.client = self._make_client()

    def _make_client(self) -> tweepy.Client:
        creds = self.account.credentials
        client = tweepy.Client(
            bearer_token=None if self.user_auth else creds.get("bearer_token"),
            consumer_key=creds.get("consumer_key"),
            consumer_secret=creds.get("consumer_secret"),
            access_token=creds.get("access_token"),
            access_token_secret=creds.get("access_token_secret"),
            return_type=dict,
            wait_on_rate_limit=False,  # the dispatcher owns waiting and retrying
        )
        client.session = self.session
        base = self.settings.base_url.rstrip("/")
        transport = _XTransport(None if base in REAL_HOSTS else base, self.settings.timeout)
        for prefix in REAL_HOSTS:
            self.session.mount(prefix + "/", transport)
        return client

    def _require_client(self) -> tweepy.Client:
        if self.client is None:
            raise ChannelError(
                ErrorKind.PERMANENT, "misconfigured", "X is not configured (no credentials)"
            )
        return self.client

    def _text(self, post: Post) -> str:
        return render(post, self.account.options).text

    # validate -----------------------------------------------------------------------------

    def validate(self, post: Post) -> list[Problem]:
        """Return every X rule `post` breaks: configuration, weighted length, images."""
        problems = []
        if self.client is None:
            problems.append(
                _problem("account", "not_configured", "X er ikke sat op.", "X is not configured.")
            )
        text = self._text(post)
        limit = int(self.account.options.get("max_weighted_length", self.text_rules.limit or 0))
        length = self.text_rules.measure(text)
        if not text and not post.media:
            problems.append(
                _problem("text", "empty", "Opslaget har hverken tekst eller billeder.",
                         "The post has neither text nor images.")
            )  # fmt: skip
        if length > limit:
            problems.append(
                _problem("text", "too_long",
                         f"Teksten fylder {length} af højst {limit} tegn efter X' optælling "
                         "(links tæller 23, emoji og mange tegn tæller 2).",
                         f"The text counts {length} of at most {limit} characters as X counts "
                         "(links count 23, emoji and many characters count 2).")
            )  # fmt: skip
        if len(post.media) > MAX_IMAGES:
            problems.append(
                _problem("media", "too_many_images",
                         f"X tillader højst {MAX_IMAGES} billeder; opslaget har {len(post.media)}.",
                         f"X allows at most {MAX_IMAGES} images; the post has {len(post.media)}.")
            )  # fmt: skip
        for index, item in enumerate(post.media):
            problems += self._media_problems(index, item)
        return problems

    def _media_problems(self, index: int, item: MediaItem) -> list[Problem]:
        field = f"media[{index}]"
        problems = []
        if item.mime_type not in IMAGE_TYPES:
            problems.append(
                _problem(field, "unsupported_type",
                         f"X tager kun JPEG, PNG, WebP og GIF, ikke {item.mime_type}.",
                         f"X only takes JPEG, PNG, WebP and GIF, not {item.mime_type}.")
            )  # fmt: skip
        size = item.size_bytes
        if not size and item.path and os.path.exists(item.path):
            size = os.path.getsize(item.path)
        if size > MAX_IMAGE_BYTES:
            mb = size / 1024 / 1024
            problems.append(
                _problem(field, "too_large",
                         f"Billedet fylder {mb:.1f} MB; X tager højst 5 MB.",
                         f"The image is {mb:.1f} MB; X takes at most 5 MB.")
            )  # fmt: skip
        return problems

    # publish ------------------------------------------------------------------------------

    def publish(self, post: Post) -> Published:
        """Upload the images (resuming from state), then create the post."""
        client = self._require_client()
        if post.state.get("tweet_id"):
            return self._published(str(post.state["tweet_id"]))
        media_ids = self._upload_media(post)
        try:
            body = client.create_tweet(
                text=self._text(post) or None,
                media_ids=media_ids or None,
                user_auth=self.user_auth,
            )
        except (tweepy.TweepyException, requests.RequestException, ValueError) as exc:
            raise self._error(exc, write=True) from exc
        tweet_id = str(body["data"]["id"])
        post.remember("tweet_id", tweet_id)
        return self._published(tweet_id)

    def _published(self, tweet_id: str) -> Published:
        username = self.account.options.get("username") or "i/web"
        return Published(tweet_id, url=f"https://x.com/{username}/status/{tweet_id}")

    def _upload_media(self, post: Post) -> list[str]:
        """Upload the images not yet uploaded; media ids are remembered one by one."""
        ids = [str(i) for i in post.state.get("media_ids", [])]
        if ids and time.time() > float(post.state.get("media_expires_at", 0)):
            ids = []  # uploaded media expire unattached; uploading again is harmless
        for item in post.media[len(ids) :]:
            if not ids:
                post.remember("media_expires_at", time.time() + MEDIA_LIFETIME)
            ids.append(self._upload_one(item))
            post.remember("media_ids", list(ids))
        return ids

    def _media_bytes(self, item: MediaItem) -> bytes:
        try:
            if item.path:
                with open(item.path, "rb") as fh:
                    return fh.read()
            response = self.session.get(item.url, timeout=self.settings.timeout)
            response.raise_for_status()
            return response.content
        except (OSError, requests.RequestException) as exc:
            raise ChannelError(
                ErrorKind.PERMANENT, "media_unreachable", f"cannot read {item.url}: {exc}"
            ) from exc

    def _auth(self) -> tuple[Any, dict[str, str]]:
        """tweepy's own OAuth 1.0a signer, or the bearer header."""
        client = self._require_client()
        if self.user_auth:
            handler = tweepy.OAuth1UserHandler(
                client.consumer_key,
                client.consumer_secret,
                client.access_token,
                client.access_token_secret,
            )
            return handler.apply_auth(), {}
        return None, {"Authorization": f"Bearer {client.bearer_token}"}

    def _upload_one(self, item: MediaItem) -> str:
        data = self._media_bytes(item)
        name = os.path.basename(item.path or urlsplit(item.url).path) or "image"
        if "." not in name:
            name += mimetypes.guess_extension(item.mime_type) or ""
        auth, headers = self._auth()
        try:
            response = self.session.post(
                f"{API_HOST}/2/media/upload",
                files={"media": (name, data, item.mime_type)},
                data={"media_category": "tweet_image"},
                auth=auth,
                headers=headers,
                timeout=self.settings.timeout,
            )
        except requests.RequestException as exc:
            # An upload that may have gone through leaves only invisible, expiring media.
            raise transport_error(exc, write=False) from exc
        if not response.ok:
            raise error_from_response(response, write=False)
        try:
            return str(response.json()["data"]["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ChannelError(
                ErrorKind.RETRYABLE, "platform_error", f"unexpected upload answer: {exc}"
            ) from exc

    def _error(self, exc: Exception, *, write: bool) -> ChannelError:
        if isinstance(exc, tweepy.HTTPException):
            return error_from_response(exc.response, write=write)
        if isinstance(exc, requests.RequestException):
            return transport_error(exc, write=write)
        # A 2xx we could not read: on a create the post may well exist.
        kind = ErrorKind.UNKNOWN if write else ErrorKind.RETRYABLE
        reason = "outcome_unknown" if write else "platform_error"
        return ChannelError(kind, reason, f"unreadable answer from X: {exc}")

    # reconciliation and metrics ---------------------------------------------------------------

    def find_existing(self, post: Post) -> Published | None:
        """Look for the post among the account's posts since `post.created_after`."""
        client = self._require_client()
        if post.state.get("tweet_id"):
            return self._published(str(post.state["tweet_id"]))
        since = post.created_after or datetime.now(UTC) - DEFAULT_WINDOW
        wanted = canonical_text(self._text(post))
        user_id = self.account.external_id or self._own_id()
        token = None
        for _ in range(SEARCH_PAGES):
            try:
                body = client.get_users_tweets(
                    user_id,
                    start_time=since - CLOCK_SKEW,
                    max_results=100,
                    tweet_fields=["created_at", "entities"],
                    pagination_token=token,
                    user_auth=self.user_auth,
                )
            except (tweepy.TweepyException, requests.RequestException, ValueError) as exc:
                raise self._error(exc, write=False) from exc
            for tweet in body.get("data") or []:
                if canonical_text(expanded_text(tweet)) == wanted:
                    return self._published(str(tweet["id"]))
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return None
        raise ChannelError(
            ErrorKind.UNKNOWN, "outcome_unknown", "too many posts in the window to tell"
        )

    def fetch_metrics(self, published: Published) -> Metrics:
        """Fetch the post's public metrics: views and engagements."""
        client = self._require_client()
        try:
            body = client.get_tweet(
                published.external_id, tweet_fields=["public_metrics"], user_auth=self.user_auth
            )
        except (tweepy.TweepyException, requests.RequestException, ValueError) as exc:
            raise self._error(exc, write=False) from exc
        data = body.get("data")
        if not data:
            detail = "; ".join(e.get("detail", "") for e in body.get("errors", []))
            raise ChannelError(ErrorKind.PERMANENT, "not_found", detail or "post not found")
        raw = data.get("public_metrics") or {}
        parts = ("like_count", "reply_count", "retweet_count", "quote_count")
        normalised = {
            "views": int(raw.get("impression_count", 0)),
            "engagements": sum(int(raw.get(k, 0)) for k in parts),
        }
        return Metrics(normalised=normalised, raw=dict(raw))

    def _me(self) -> dict[str, Any]:
        client = self._require_client()
        try:
            body = client.get_me(user_auth=self.user_auth)
        except (tweepy.TweepyException, requests.RequestException, ValueError) as exc:
            raise self._error(exc, write=False) from exc
        return dict(body.get("data") or {})

    def _own_id(self) -> str:
        """The authenticated user's id, for accounts configured without one."""
        user_id = self._me().get("id")
        if not user_id:
            raise ChannelError(ErrorKind.RETRYABLE, "platform_error", "X did not say who we are")
        return str(user_id)

    def test_connection(self) -> str:
        """Read the authenticated user; return "@username (id)"."""
        data = self._me()
        return f"@{data.get('username', '?')} ({data.get('id', '?')})"
