"""The newsletter channel: a Mailchimp audience through mailchimp-marketing (platforms.md §4, §7).

`account.external_id` is the list (audience) id and `account.credentials["api_key"]` the API key
(`<hex>-<dc>`). Options: `from_name` and `reply_to` (a campaign cannot be sent without them),
`list_id` (the audience, when it differs from the external id), `merge_field` (default
"KOMMUNE": the list's municipality merge field), `segment_by_municipality` (send each post only
to the subscribers of its municipalities, by that merge field), `organisation` (shown at the top
of the mail; default the account name) and `status_if_new` for `sync_member` (default
"subscribed").

Missing settings are the account's configuration, not the post's content: `publish` refuses
before creating anything (reasons sender_missing, reply_to_missing, audience_missing) and
`test_connection` names everything missing, including an audience without subscribed contacts.

`settings.base_url` is the API root, e.g. "https://{dc}.api.mailchimp.com/3.0" ({dc} is taken
from the key) or the sandbox. The client library builds URLs as `host + path` and then replaces
every "server" in them with the data centre, so a host containing "server" is refused.

The library uses module-level `requests` calls (the injected session is not used) and hands back
three shapes: parsed JSON; a raw `requests.Response` for 204 and for answers without a usable
body (including a bare 403); `ApiClientError` whose `.text` is a dict, a raw JSON string
(problem+json) or the requests exception it caught (status_code None).

Publishing, each step resumed from `post.state`:

1. create the campaign with `settings.title` = "<marker> | <subject>" (internal, never shown to
   readers) and, when `post.segment_municipalities` is set, a segment "merge field is any of
   these values"; remember `campaign_id`;
2. set the content (our accessible template, HTML and plain text); remember `content_set`;
3. read the campaign's status first: `sending`/`sent` means done, `schedule` means scheduled —
   never send twice; otherwise send now, or schedule at the next quarter hour at or after
   `post.scheduled_at` (Mailchimp only schedules on :00/:15/:30/:45 UTC).

"Your Campaign is not ready to send." is answered by reading the send checklist: its error items
become configuration reasons (from-name, reply-to, unverified domain, no subscribed contacts) or
content; with no error item it is Mailchimp still counting the recipients, so the first one is
RETRYABLE (reason "not_ready", remembered as `not_ready_seen`) and a second one PERMANENT.

Metrics: opens = unique opens, clicks = unique subscriber clicks, views = all opens, reach =
emails sent; `per_segment` splits opens and clicks by each recipient's merge-field value (from
the email activity joined with the members' merge fields; members without a value are left out).
The merge field holds whatever the service writes with `sync_member` and segments on — the
service uses the same municipality key for both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import mailchimp_marketing
import requests
from mailchimp_marketing.api_client import ApiClientError

from channels.base import (
    Adapter,
    ChannelError,
    ErrorKind,
    Metrics,
    Post,
    Problem,
    Published,
    Rendered,
    invisible_step_error,
)
from channels.newsletter_email import preview_text, render_email
from channels.newsletter_errors import checklist_reasons, classify
from channels.transport import transport_error

SUBJECT_MAX = 150
PAGE_SIZE = 1000  # Mailchimp's largest page
DONE = ("sending", "sent", "archived")
KEY = re.compile(r"[0-9A-Za-z]+-[a-z]+[0-9]+")
NOT_READY = "not ready to send"
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

R, P, U = ErrorKind.RETRYABLE, ErrorKind.PERMANENT, ErrorKind.UNKNOWN


def next_quarter(at: datetime, now: datetime) -> datetime:
    """Return the first quarter hour (UTC) at or after `at`, and strictly after `now`."""
    moment = max(at, now).astimezone(UTC)
    floor = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    slot = floor if floor == moment else floor + timedelta(minutes=15)
    return slot if slot > now else slot + timedelta(minutes=15)


def render(post: Post, options: Mapping[str, Any] | None = None) -> Rendered:
    """The newsletter as it goes out: subject, HTML and plain-text parts, inbox preview line.

    `options["organisation"]` names the sender at the top of the mail and in its footer.
    """
    organisation = str((options or {}).get("organisation") or "")
    html_part, text_part = render_email(post, organisation)
    subject = post.title.strip()
    return Rendered(text=text_part, title=subject, link=None, images=tuple(post.media),
                    html=html_part, summary=preview_text(post.text), length=len(subject),
                    limit=SUBJECT_MAX)


def subscriber_hash(email: str) -> str:
    """Return Mailchimp's member id: the MD5 of the lowercased address."""
    return hashlib.md5(email.strip().lower().encode()).hexdigest()


class NewsletterAdapter(Adapter):
    """Send posts as Mailchimp campaigns to one audience, optionally segmented by municipality."""

    render = staticmethod(render)  # the same function previews use

    platform = "newsletter"

    _client: Any = None

    @property
    def list_id(self) -> str:
        return str(self.account.options.get("list_id") or self.account.external_id or "")

    def missing_settings(self) -> list[tuple[str, str]]:
        """The campaign settings this account lacks, as (reason, what) pairs."""
        options = self.account.options
        missing: list[tuple[str, str]] = []
        if not self.list_id.strip():
            missing.append(("audience_missing", "no audience (list id)"))
        if not str(options.get("from_name") or "").strip():
            missing.append(("sender_missing", "no from_name"))
        if not EMAIL.fullmatch(str(options.get("reply_to") or "").strip()):
            missing.append(("reply_to_missing", "no valid reply_to address"))
        return missing

    def _refuse_missing(self, extra: list[tuple[str, str]] | None = None) -> None:
        missing = self.missing_settings() + (extra or [])
        if missing:
            detail = "; ".join(what for _, what in missing)
            raise ChannelError(P, missing[0][0], f"the account is not ready to send: {detail}")

    @property
    def render_options(self) -> dict[str, Any]:
        """The account's options for `render`, with the organisation defaulting to its name."""
        options = dict(self.account.options)
        options["organisation"] = str(options.get("organisation") or self.account.name)
        return options

    @property
    def merge_field(self) -> str:
        return str(self.account.options.get("merge_field") or "KOMMUNE")

    @property
    def client(self) -> Any:
        """The configured mailchimp-marketing client, pointed at `settings.base_url`."""
        if self._client is None:
            key = self.account.credentials.get("api_key", "")
            if not KEY.fullmatch(key):
                raise ChannelError(P, "token_invalid", "the API key must look like <key>-<dc>")
            host = self.settings.base_url.rstrip("/").replace("{dc}", key.rsplit("-", 1)[1])
            if "server" in host:
                raise ChannelError(
                    P, "misconfigured", f"the Mailchimp URL may not contain 'server': {host}"
                )
            client = mailchimp_marketing.Client()
            client.set_config({"api_key": key, "timeout": self.settings.timeout})
            client.api_client.host = host
            self._client = client
        return self._client

    def _call(self, write: bool, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Call one client method; return its data (None for 204) or raise a ChannelError."""
        try:
            result = method(*args, **kwargs)
        except ApiClientError as exc:
            if exc.status_code is None:
                caught = exc.text
                if isinstance(caught, requests.RequestException):
                    raise transport_error(caught, write=write) from exc
                kind, reason = (U, "outcome_unknown") if write else (R, "platform_unavailable")
                raise ChannelError(kind, reason, f"transport: {caught!r}") from exc
            raise classify(exc.status_code, exc.text, write=write) from exc
        except requests.RequestException as exc:
            raise transport_error(exc, write=write) from exc
        if isinstance(result, requests.Response):
            if not result.ok:
                raise classify(result.status_code, result.text, write=write)
            return None
        return result

    # -- the four calls -------------------------------------------------------------------------

    def validate(self, post: Post) -> list[Problem]:
        """Return Mailchimp's rules (and this account's setup) that `post` breaks."""
        problems: list[Problem] = []
        subject = post.title.strip()
        if not subject:
            problems.append(
                Problem("title", "required", "Nyhedsbrevet skal have en emnelinje.",
                        "The newsletter needs a subject line.")
            )  # fmt: skip
        elif len(subject) > SUBJECT_MAX:
            problems.append(
                Problem("title", "too_long",
                        f"Emnelinjen må højst være {SUBJECT_MAX} tegn (den er {len(subject)}).",
                        f"The subject may be at most {SUBJECT_MAX} characters "
                        f"(it is {len(subject)}).")
            )  # fmt: skip
        if not (post.html or post.text).strip():
            problems.append(
                Problem("body", "required", "Nyhedsbrevet skal have en tekst.",
                        "The newsletter needs a body.")
            )  # fmt: skip
        if not str(self.account.options.get("from_name") or "").strip():
            problems.append(
                Problem("account", "from_name_missing",
                        "Nyhedsbrevskontoen mangler et afsendernavn — ret det under "
                        "Administration → Kanalkonti.",
                        "The newsletter account has no sender name — set it under "
                        "Admin → Channel accounts.")
            )  # fmt: skip
        if not EMAIL.fullmatch(str(self.account.options.get("reply_to") or "")):
            problems.append(
                Problem("account", "reply_to_missing",
                        "Nyhedsbrevskontoen mangler en gyldig svar-adresse — ret det under "
                        "Administration → Kanalkonti.",
                        "The newsletter account has no valid reply-to address — set it under "
                        "Admin → Channel accounts.")
            )  # fmt: skip
        return problems

    def publish(self, post: Post) -> Published:
        """Create the campaign, set its content, then send or schedule it exactly once."""
        self._refuse_missing()  # before anything is created: nothing to clean up afterwards
        campaigns = self.client.campaigns
        if post.state.get("campaign_pending") and not post.state.get("campaign_id"):
            found = self._find_by_title(post)  # an unanswered create: ours by its title
            if found is not None:
                return found
        campaign_id = post.state.get("campaign_id")
        if not campaign_id:
            post.remember("campaign_pending", True)
            try:  # an unsent campaign reaches nobody, and is found again by its title
                created = self._call(True, campaigns.create, self._campaign_body(post))
            except ChannelError as exc:
                raise invisible_step_error(post, exc) from exc
            campaign_id = str(created["id"])
            post.remember("campaign_id", campaign_id)
        if not post.state.get("content_set"):
            rendered = render(post, self.render_options)
            content = {"html": rendered.html, "plain_text": rendered.text}
            try:  # a PUT: repeatable, and shows nothing before the send
                self._call(False, campaigns.set_content, campaign_id, content)
            except ChannelError as exc:
                raise invisible_step_error(post, exc) from exc
            post.remember("content_set", True)
        campaign = self._call(False, campaigns.get, campaign_id)
        status = campaign.get("status")
        if status in DONE or status == "schedule":
            return self._published(campaign)  # never send a campaign twice
        if status not in ("save", "paused"):
            raise ChannelError(P, "platform_error", f"campaign {campaign_id} is {status!r}")
        now = datetime.now(UTC)
        try:
            if post.scheduled_at is not None and post.scheduled_at > now:
                when = next_quarter(post.scheduled_at, now)
                schedule = {"schedule_time": when.isoformat(), "timewarp": False}
                self._call(True, campaigns.schedule, campaign_id, schedule)
                campaign.update(status="schedule", send_time=when.isoformat())
            else:
                self._call(True, campaigns.send, campaign_id)
                campaign.update(status="sending")
        except ChannelError as exc:
            if exc.http_status == 400 and NOT_READY in exc.detail.lower():
                raise self._not_ready(post, campaign_id, exc) from exc
            raise
        return self._published(campaign)

    def find_existing(self, post: Post) -> Published | None:
        """Find our campaign by remembered id or title marker; an unsent one gives None."""
        campaigns = self.client.campaigns
        campaign_id = post.state.get("campaign_id")
        if campaign_id:
            try:
                found = self._call(False, campaigns.get, campaign_id)
            except ChannelError as exc:
                if exc.http_status != 404:
                    raise
                post.remember("campaign_id", None)  # deleted in Mailchimp: search by title
                post.remember("content_set", None)
            else:
                return self._published(found) if self._is_out(found) else None
        return self._find_by_title(post)

    def fetch_metrics(self, published: Published) -> Metrics:
        """Read the campaign report, plus opens and clicks per municipality merge-field value."""
        reports = self.client.reports
        try:
            report = self._call(False, reports.get_campaign_report, published.external_id)
        except ChannelError as exc:
            if exc.http_status != 404:
                raise
            # Mailchimp has a report only once a campaign is sending; scheduled ones have none,
            # which is "no data yet", not "nobody opened it".
            return Metrics({}, {"report": None, "note": "not sent yet"})
        opens, clicks = report.get("opens") or {}, report.get("clicks") or {}
        normalised = {
            "opens": int(opens.get("unique_opens") or 0),
            "clicks": int(clicks.get("unique_subscriber_clicks") or 0),
            "views": int(opens.get("opens_total") or 0),
            "reach": int(report.get("emails_sent") or 0),
        }
        return Metrics(normalised, report, self._per_segment(published.external_id))

    def test_connection(self) -> str:
        """Check the key, the audience and what a campaign needs; name everything missing."""
        if not self.list_id.strip():
            self._refuse_missing()
        try:
            found = self._call(False, self.client.lists.get_list, self.list_id)
        except ChannelError as exc:
            if exc.http_status == 404:
                raise ChannelError(P, "audience_missing", f"no audience {self.list_id}") from exc
            raise
        members = int((found.get("stats") or {}).get("member_count") or 0)
        empty = [("audience_empty", f"audience {found.get('name')} has no subscribed contacts")]
        self._refuse_missing(empty if members == 0 else None)
        return f"Mailchimp: list {found.get('name')} ({members} subscribers)"

    def sync_member(self, email: str, municipality: str, name: str | None = None) -> str:
        """Add or update a subscriber with their municipality in the merge field; return its id."""
        merge_fields = {self.merge_field: municipality}
        if name:
            first, _, last = name.strip().partition(" ")
            merge_fields.update(FNAME=first, LNAME=last)
        body: dict[str, Any] = {
            "email_address": email.strip(),
            "status_if_new": str(self.account.options.get("status_if_new") or "subscribed"),
            "merge_fields": merge_fields,
        }
        member_hash = subscriber_hash(email)
        lists = self.client.lists
        saved = self._call(False, lists.set_list_member, self.list_id, member_hash, body)
        return str(saved.get("id", member_hash))  # a PUT by hash: repeatable

    def sign_up(self, email: str, municipality: str, name: str = "") -> str:
        """Ask `email` to join the audience by Mailchimp's double opt-in; return what happened.

        The answer is a code: "pending" (a confirmation mail is on its way), "already_pending",
        "already_subscribed" or "cleaned" (the address bounced and Mailchimp will not take it
        again). An address Mailchimp refuses raises ChannelError with reason "invalid_address".
        """
        member_hash = subscriber_hash(email)
        try:
            member = self._call(False, self.client.lists.get_list_member, self.list_id,
                                member_hash, fields=["status"])
            status = str(member.get("status") or "")
        except ChannelError as exc:
            if exc.http_status != 404:
                raise
            status = ""
        if status in ("subscribed", "pending"):
            return f"already_{status}"
        if status == "cleaned":
            return "cleaned"
        merge_fields = {self.merge_field: municipality}
        if name:
            first, _, last = name.strip().partition(" ")
            merge_fields.update(FNAME=first, LNAME=last)
        body: dict[str, Any] = {"email_address": email.strip(), "status_if_new": "pending",
                                "merge_fields": merge_fields}
        if status:  # unsubscribed or archived: asking again means a new confirmation mail
            body["status"] = "pending"
        try:
            self._call(True, self.client.lists.set_list_member, self.list_id, member_hash, body)
        except ChannelError as exc:
            if exc.http_status == 400 and "email" in exc.detail.lower():
                raise ChannelError(P, "invalid_address", exc.detail, http_status=400) from exc
            raise
        return "pending"

    # -- steps ----------------------------------------------------------------------------------

    def _campaign_body(self, post: Post) -> dict[str, Any]:
        options = self.account.options
        recipients: dict[str, Any] = {"list_id": self.list_id}
        segment = post.segment_municipalities
        if not segment and options.get("segment_by_municipality"):
            segment = post.municipalities
        if segment:
            conditions = [
                {"condition_type": "TextMerge", "field": self.merge_field, "op": "is", "value": v}
                for v in segment
            ]
            recipients["segment_opts"] = {"match": "any", "conditions": conditions}
        rendered = render(post, self.render_options)
        return {
            "type": "regular",
            "recipients": recipients,
            "settings": {
                "subject_line": rendered.title,
                "preview_text": rendered.summary,
                "title": f"{post.marker} | {post.title}"[:100],
                "from_name": options.get("from_name", ""),
                "reply_to": options.get("reply_to", ""),
                "auto_footer": False,
            },
            "tracking": {"opens": True, "html_clicks": True, "text_clicks": True},
        }

    def _not_ready(self, post: Post, campaign_id: str, exc: ChannelError) -> ChannelError:
        """Why Mailchimp will not send, from its send checklist (configuration before content)."""
        checklist = self._call(False, self.client.campaigns.get_send_checklist, campaign_id)
        found = checklist_reasons(checklist)
        if found:
            found.sort(key=lambda pair: pair[0] == "invalid_content")
            detail = f"{exc.detail} {'; '.join(words for _, words in found)}".strip()
            return ChannelError(P, found[0][0], detail, http_status=400)
        if not post.state.get("not_ready_seen"):  # recipients still being counted
            post.remember("not_ready_seen", True)
            return ChannelError(R, "not_ready", exc.detail, retry_after=60.0, http_status=400)
        return ChannelError(P, "platform_error", f"{exc.detail} (checklist: ready)",
                            http_status=400)

    @staticmethod
    def _is_out(campaign: dict[str, Any]) -> bool:
        return campaign.get("status") in DONE or campaign.get("status") == "schedule"

    def _find_by_title(self, post: Post) -> Published | None:
        query: dict[str, Any] = {"count": PAGE_SIZE, "offset": 0, "list_id": self.list_id}
        query["fields"] = [
            "campaigns.id", "campaigns.settings.title", "campaigns.status",
            "campaigns.archive_url", "campaigns.send_time", "total_items",
        ]  # fmt: skip
        if post.created_after is not None:
            query["since_create_time"] = post.created_after.astimezone(UTC).isoformat()
        ours: list[dict[str, Any]] = []
        while True:
            page = self._call(False, self.client.campaigns.list, **query)
            for campaign in page.get("campaigns", []):
                title = str((campaign.get("settings") or {}).get("title", ""))
                if title == post.marker or title.startswith(f"{post.marker} | "):
                    ours.append(campaign)
            query["offset"] += PAGE_SIZE
            if query["offset"] >= int(page.get("total_items") or 0):
                break
        out = [c for c in ours if self._is_out(c)]
        if out:
            return self._published(out[0], [str(c["id"]) for c in ours if c is not out[0]])
        unsent = [c for c in ours if c.get("status") in ("save", "paused")]
        if unsent:
            # Created but never sent: resume with it (content may still be missing).
            post.remember("campaign_id", str(unsent[0]["id"]))
        return None

    @staticmethod
    def _published(campaign: dict[str, Any], others: list[str] | None = None) -> Published:
        extra: dict[str, Any] = {"status": campaign.get("status")}
        if campaign.get("send_time"):
            extra["send_time"] = campaign["send_time"]
        if others:
            extra["other_campaign_ids"] = others
        return Published(str(campaign["id"]), campaign.get("archive_url"), extra)

    def _per_segment(self, campaign_id: str) -> dict[str, dict[str, int]]:
        """Opens and clicks per merge-field value: email activity joined with the members."""
        values = self._merge_values()
        split: dict[str, dict[str, int]] = {}
        offset = 0
        while True:
            page = self._call(
                False,
                self.client.reports.get_email_activity_for_campaign,
                campaign_id,
                count=PAGE_SIZE,
                offset=offset,
            )
            for email in page.get("emails", []):
                value = values.get(str(email.get("email_address", "")).lower(), "")
                if not value:
                    continue
                actions = {a.get("action") for a in email.get("activity") or []}
                counts = split.setdefault(value, {"reach": 0, "opens": 0, "clicks": 0})
                counts["reach"] += 1
                counts["opens"] += "open" in actions
                counts["clicks"] += "click" in actions
            offset += PAGE_SIZE
            if offset >= int(page.get("total_items") or 0):
                return split

    def _merge_values(self) -> dict[str, str]:
        """Every member's merge-field value by lowercased address, a page of 1000 at a time."""
        values: dict[str, str] = {}
        offset = 0
        fields = ["members.email_address", "members.merge_fields", "total_items"]
        while True:
            page = self._call(
                False,
                self.client.lists.get_list_members_info,
                self.list_id,
                count=PAGE_SIZE,
                offset=offset,
                fields=fields,
            )
            for member in page.get("members", []):
                value = (member.get("merge_fields") or {}).get(self.merge_field)
                values[str(member.get("email_address", "")).lower()] = str(value or "")
            offset += PAGE_SIZE
            if offset >= int(page.get("total_items") or 0):
                return values
