"""The adapter interface every platform module implements.

An adapter turns one `Post` into one item on one platform account. It never retries: it says
what happened through `ChannelError.kind` and the dispatcher (schedules/) decides what to do.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import requests

DEFAULT_TIMEOUT = 20.0  # seconds; every HTTP call an adapter makes passes a timeout


class ErrorKind(enum.StrEnum):
    """What a failed call tells us about the platform's state."""

    RETRYABLE = "retryable"  # the platform surely did nothing: safe to try again later
    PERMANENT = "permanent"  # trying again will not help until a person fixes something
    UNKNOWN = "unknown_outcome"  # the request may have been carried out: reconcile first


class Cause(enum.StrEnum):
    """Who has to act on a failure; the same four words on every platform."""

    CONFIGURATION = "configuration"  # the account's setup: fix it under channel accounts
    CONTENT = "content"  # this post: fix the text, the image or the link
    PLATFORM = "platform"  # the platform's side: busy, down, a quota, a block
    UNKNOWN = "unknown"  # we cannot tell (an answer we do not recognise, a lost answer)


# Short reasons a secretariat worker understands, in Danish and English. `reason` on a
# ChannelError is one of these keys; the technical detail goes in `detail`.
REASONS: dict[str, tuple[str, str]] = {
    "token_expired": (
        "Adgangen til kontoen er udløbet. Forbind kontoen igen under Administration → Kanaler.",
        "Access to the account has expired. Reconnect the account under Admin → Channels.",
    ),
    "token_invalid": (
        "Platformen afviser kontoens adgangsnøgle. Forbind kontoen igen.",
        "The platform rejects the account's access key. Reconnect the account.",
    ),
    "permission_missing": (
        "Kontoen mangler tilladelse til at udgive. Giv tilladelsen igen på platformen.",
        "The account lacks permission to publish. Grant the permission again on the platform.",
    ),
    "rate_limited": (
        "Platformen bad os vente lidt (for mange kald).",
        "The platform asked us to wait (too many calls).",
    ),
    "quota_exhausted": (
        "Kontoens daglige kvote for opslag er brugt. Opslaget kan sendes, når kvoten fornyes.",
        "The account's daily posting quota is used up. It can go out when the quota renews.",
    ),
    "platform_unavailable": (
        "Platformen svarede ikke eller svarede med en midlertidig fejl.",
        "The platform did not answer, or answered with a temporary error.",
    ),
    "outcome_unknown": (
        "Platformen svarede ikke, efter at opslaget blev sendt.",
        "The platform did not answer after the post was sent.",
    ),
    "invalid_content": (
        "Platformen afviser indholdet. Ret teksten eller billederne og prøv igen.",
        "The platform rejects the content. Fix the text or images and try again.",
    ),
    "invalid_media": (
        "Platformen afviser billedet (format, størrelse eller billedformat).",
        "The platform rejects the image (format, size or aspect ratio).",
    ),
    "media_unreachable": (
        "Platformen kan ikke hente billedet. Tjek at den offentlige billedadresse virker.",
        "The platform cannot fetch the image. Check that the public image address works.",
    ),
    "invalid_link": (
        "Platformen afviser linket. Ret linket og prøv igen.",
        "The platform rejects the link. Fix the link and try again.",
    ),
    "duplicate": (
        "Platformen mener, at opslaget allerede findes (samme tekst).",
        "The platform says this post already exists (same text).",
    ),
    "policy_block": (
        "Platformen har midlertidigt blokeret kontoen. En person skal se på det.",
        "The platform has temporarily blocked the account. A person needs to look at it.",
    ),
    "account_restricted": (
        "Kontoen er begrænset af platformen. Log ind på platformen og se hvorfor.",
        "The account is restricted by the platform. Log in to the platform to see why.",
    ),
    "invalid_address": (
        "Platformen afviser e-mailadressen. Tjek at den er skrevet rigtigt.",
        "The platform refuses the email address. Check that it is spelled correctly.",
    ),
    "not_found": (
        "Platformen kan ikke finde kontoen eller elementet. Tjek kontoens id under Kanaler.",
        "The platform cannot find the account or item. Check the account id under Channels.",
    ),
    "misconfigured": (
        "Kanalen er ikke sat korrekt op (adresse eller id). Tjek indstillingerne.",
        "The channel is not set up correctly (address or id). Check the settings.",
    ),
    "media_processing": (
        "Platformen var stadig ved at behandle mediet.",
        "The platform was still processing the media.",
    ),
    "media_failed": (
        "Platformen kunne ikke behandle mediet. Prøv et andet billede.",
        "The platform could not process the media. Try another image.",
    ),
    "platform_error": (
        "Platformen svarede med en fejl, vi ikke kender. En person skal se på det.",
        "The platform answered with an error we do not recognise. A person needs to look at it.",
    ),
    "not_ready": (
        "Platformen var ikke klar til at sende (modtagerne blev beregnet).",
        "The platform was not ready to send (the recipients were being counted).",
    ),
    "sender_missing": (
        "Nyhedsbrevskontoen mangler et afsendernavn — ret det under Administration → Kanalkonti.",
        "The newsletter account has no sender name — set it under Admin → Channel accounts.",
    ),
    "reply_to_missing": (
        "Nyhedsbrevskontoen mangler en svar-adresse — ret det under Administration → Kanalkonti.",
        "The newsletter account has no reply-to address — set it under Admin → Channel accounts.",
    ),
    "sender_unverified": (
        "Afsenderens domæne er ikke bekræftet hos platformen. Bekræft domænet i Mailchimp.",
        "The sender's domain is not verified with the platform. Verify the domain in Mailchimp.",
    ),
    "audience_missing": (
        "Nyhedsbrevskontoen mangler en modtagerliste — ret det under Administration → Kanalkonti.",
        "The newsletter account has no audience — set it under Admin → Channel accounts.",
    ),
    "audience_empty": (
        "Modtagerlisten (eller kommunens udsnit af den) har ingen tilmeldte modtagere.",
        "The audience (or the municipality's segment of it) has no subscribed contacts.",
    ),
}

# Which of the four causes each reason belongs to. Adapters translate their platform's dialect
# into a reason; the cause follows from it unless the adapter says otherwise.
REASON_CAUSES: dict[str, Cause] = {
    "token_expired": Cause.CONFIGURATION,
    "token_invalid": Cause.CONFIGURATION,
    "permission_missing": Cause.CONFIGURATION,
    "account_restricted": Cause.CONFIGURATION,
    "not_found": Cause.CONFIGURATION,
    "misconfigured": Cause.CONFIGURATION,
    "sender_missing": Cause.CONFIGURATION,
    "reply_to_missing": Cause.CONFIGURATION,
    "sender_unverified": Cause.CONFIGURATION,
    "audience_missing": Cause.CONFIGURATION,
    "audience_empty": Cause.CONFIGURATION,
    "invalid_content": Cause.CONTENT,
    "invalid_address": Cause.CONTENT,  # an address the audience refuses (sign-up)
    "invalid_media": Cause.CONTENT,
    "media_unreachable": Cause.CONTENT,
    "invalid_link": Cause.CONTENT,
    "duplicate": Cause.CONTENT,
    "media_failed": Cause.CONTENT,
    "rate_limited": Cause.PLATFORM,
    "quota_exhausted": Cause.PLATFORM,
    "platform_unavailable": Cause.PLATFORM,
    "policy_block": Cause.PLATFORM,
    "media_processing": Cause.PLATFORM,
    "not_ready": Cause.PLATFORM,
    "outcome_unknown": Cause.UNKNOWN,
    "platform_error": Cause.UNKNOWN,
}


FREE_RETRIES = 10  # lost answers on steps that show nothing, retried without spending a try


def invisible_step_error(post: Post, exc: ChannelError) -> ChannelError:
    """A failure on a step that cannot show anything to anyone, as the dispatcher should see it.

    Uploads, terms, drafts, Instagram containers and unsent Mailchimp campaigns are invisible
    and found again by lookup, so a lost answer or a passing error on them needs neither a
    reconciliation nor one of the delivery's tries: a RETRYABLE error with costs_attempt=False,
    retried after a second. After FREE_RETRIES (counted in `post.state`) it costs a try again.
    Permanent errors pass through unchanged.
    """
    if exc.kind is ErrorKind.PERMANENT:
        return exc
    used = int(post.state.get("free_retries") or 0)
    free = used < FREE_RETRIES
    if free:
        post.remember("free_retries", used + 1)
    lost = exc.kind is ErrorKind.UNKNOWN
    return ChannelError(
        ErrorKind.RETRYABLE,
        "platform_unavailable" if lost else exc.reason,
        f"lost answer, will look it up: {exc.detail}" if lost else exc.detail,
        retry_after=max(1.0, exc.retry_after or 1.0),
        platform_code=exc.platform_code,
        http_status=exc.http_status,
        costs_attempt=not free,
    )


def cause_of(failure: ChannelError | str) -> Cause:
    """The cause of a ChannelError, or of a stored reason key (unknown when not ours)."""
    if isinstance(failure, ChannelError):
        return failure.cause
    return REASON_CAUSES.get(failure, Cause.UNKNOWN)


class ChannelError(Exception):
    """A platform call failed; `kind` says whether and how it may be tried again.

    `reason` is a key of REASONS (the code the service translates for people) and `cause` one
    of the four Causes, taken from REASON_CAUSES unless the adapter knows better.
    """

    def __init__(
        self,
        kind: ErrorKind,
        reason: str,
        detail: str = "",
        *,
        retry_after: float | None = None,
        platform_code: str | None = None,
        http_status: int | None = None,
        cause: Cause | None = None,
        costs_attempt: bool = True,
    ) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        self.cause = cause or REASON_CAUSES.get(reason, Cause.UNKNOWN)
        # False for a step that cannot make anything visible (an upload, a term, a draft) and
        # is found again by lookup: retrying it spends nothing of the publishing budget.
        self.costs_attempt = costs_attempt
        super().__init__(f"{kind.value}/{reason}: {detail}")
        self.kind = kind
        self.reason = reason
        self.detail = detail[:2000]
        self.retry_after = retry_after
        self.platform_code = platform_code
        self.http_status = http_status

    def user_message(self, lang: str = "da") -> str:
        """The reason in plain words, Danish unless `lang` is "en"."""
        da, en = REASONS[self.reason]
        return en if lang == "en" else da


def reason_text(reason: str, lang: str = "da") -> str:
    """The plain-words text for a stored reason key (falls back to the generic one)."""
    da, en = REASONS.get(reason, REASONS["platform_error"])
    return en if lang == "en" else da


@dataclass(frozen=True)
class Problem:
    """One thing about a post that the platform would refuse; `field` names where."""

    field: str
    code: str
    message_da: str
    message_en: str
    # "error": the platform would refuse it; "warning": a house rule, the post may still go out.
    level: str = "error"

    def message(self, lang: str = "da") -> str:
        return self.message_en if lang == "en" else self.message_da


@dataclass(frozen=True)
class TextRules:
    """How long a channel's text may be (None: no limit) and how the platform counts it."""

    limit: int | None = None
    measure: Callable[[str], int] = len


@dataclass(frozen=True)
class MediaRules:
    """What images a channel takes (None or empty: no rule of the platform's own)."""

    max_images: int | None = None
    max_bytes: int | None = None
    mime_types: tuple[str, ...] = ()
    min_aspect: float | None = None  # width / height
    max_aspect: float | None = None
    required: bool = False


@dataclass(frozen=True)
class MediaItem:
    """An image as the platform will see it: a public URL plus the local bytes' facts."""

    url: str  # public URL the platform can fetch (Instagram, Facebook by URL)
    path: str | None = None  # local file, for uploads (WordPress, X)
    mime_type: str = "image/jpeg"
    width: int = 0
    height: int = 0
    size_bytes: int = 0
    alt_text: str = ""


@dataclass
class Post:
    """Everything one channel needs to publish one item.

    `marker` is unique per delivery and is how `find_existing` recognises our own item
    (WordPress slug, Mailchimp campaign title; for the others text + time window).
    `state` holds platform ids persisted by earlier attempts; `checkpoint(key, value)` must be
    called the moment a new platform id is known so a restart resumes instead of repeating.
    """

    marker: str
    text: str
    title: str = ""
    link: str | None = None
    html: str | None = None  # rendered, sanitised body (website, newsletter)
    media: list[MediaItem] = field(default_factory=list)
    kind: str = "post"  # post | article | event
    municipalities: list[str] = field(default_factory=list)  # slugs
    municipality_names: list[str] = field(default_factory=list)
    initiative: str | None = None  # slug
    initiative_name: str | None = None
    scheduled_at: datetime | None = None  # UTC, timezone-aware; None = now
    created_after: datetime | None = None  # earliest time the item can exist (reconciliation)
    segment_municipalities: list[str] = field(default_factory=list)  # newsletter segmenting
    state: dict[str, Any] = field(default_factory=dict)
    checkpoint: Callable[[str, Any], None] | None = None

    def remember(self, key: str, value: Any) -> None:
        """Record a platform id in `state` and hand it to the checkpoint callback."""
        self.state[key] = value
        if self.checkpoint is not None:
            self.checkpoint(key, value)


@dataclass(frozen=True)
class Rendered:
    """A post exactly as one platform will get it: what previews show and adapters send.

    Each channel module has `render(post, options) -> Rendered`; its adapter builds the payload
    from it, so a preview made with the same function shows what will be published.
    """

    text: str  # the post's text as sent: message, caption, tweet, the mail's plain-text part
    title: str = ""  # subject line or article title ("" where the platform has none)
    link: str | None = None  # a link sent beside the text (a preview card); None if in the text
    images: tuple[MediaItem, ...] = ()  # the images that go out, in order
    html: str | None = None  # the article's content or the mail's HTML part
    summary: str = ""  # what the platform shows shortened (the inbox preview line)
    length: int = 0  # the text's length as the platform counts it
    limit: int = 0  # the platform's maximum for that length (0: none)

    @property
    def over_limit(self) -> int:
        """How many characters too long the text is (0 when it fits)."""
        return max(0, self.length - self.limit) if self.limit else 0


@dataclass(frozen=True)
class Published:
    """Where an item ended up on the platform."""

    external_id: str
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Metrics:
    """Normalised figures (reach, views, engagements, clicks, opens) plus the platform's own."""

    normalised: dict[str, int]
    raw: dict[str, Any]
    per_segment: dict[str, dict[str, int]] = field(default_factory=dict)  # e.g. by municipality


@dataclass(frozen=True)
class Account:
    """One configured account on one platform, with its credentials already resolved."""

    platform: str
    name: str
    external_id: str  # page id, IG user id, list id, site user, X user id
    credentials: dict[str, str] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelSettings:
    """Process-wide settings for one platform: where its API lives and how long to wait."""

    base_url: str
    timeout: float = DEFAULT_TIMEOUT
    graph_version: str = "v25.0"
    public_base_url: str = "http://127.0.0.1:5000"  # where our own media and links are served
    options: dict[str, Any] = field(default_factory=dict)


class Adapter:
    """Base class for a platform adapter. Subclasses set `platform` and their rules, and implement
    the four calls. The rules are read through the channel's row in channels/registry.py."""

    platform: ClassVar[str] = ""
    text_rules: ClassVar[TextRules] = TextRules()
    media_rules: ClassVar[MediaRules] = MediaRules()

    def __init__(
        self,
        account: Account,
        settings: ChannelSettings,
        session: requests.Session | None = None,
    ) -> None:
        self.account = account
        self.settings = settings
        self.session = session or requests.Session()

    @staticmethod
    def render(post: Post, options: Mapping[str, Any] | None = None) -> Rendered:
        """The post as this platform gets it: the channel module's `render`, for previews."""
        raise NotImplementedError

    def validate(self, post: Post) -> list[Problem]:
        """Return every rule of the platform that `post` breaks (empty when it may go out)."""
        raise NotImplementedError

    def publish(self, post: Post) -> Published:
        """Publish `post`, resuming from `post.state`; raise ChannelError on failure."""
        raise NotImplementedError

    def find_existing(self, post: Post) -> Published | None:
        """Ask the platform whether `post` already exists; raise ChannelError if it cannot tell."""
        raise NotImplementedError

    def fetch_metrics(self, published: Published) -> Metrics:
        """Fetch current figures for a published item."""
        raise NotImplementedError

    def test_connection(self) -> str:
        """Check credentials and ids with a harmless read; return a short description."""
        raise NotImplementedError

    def discard(self, post: Post) -> list[str]:
        """Remove what a delivery that failed for good left on the platform (never live items).

        Returns what is still there for a person to remove; the ids it removed are dropped from
        `post.state`, so a later "retry now" starts those steps afresh.
        """
        return []
