"""Display labels (Danish and English) for kinds, statuses, channels, actions and audit events.

Values are lazy strings: they are translated when shown, in the language of that request. Use
`label(MAPPING, key)` in Python; templates get `kind_label`, `status_label`, `channel_label`,
`action_label`, `event_label` and `field_label` (registered by `init_app`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from channels.registry import REGISTRY

KIND_LABELS: dict[str, Any] = {
    "post": _l("Post"),
    "article": _l("Article"),
    "event": _l("Event"),
}

STATUS_LABELS: dict[str, Any] = {
    "draft": _l("Draft"),
    "in_review": _l("In review"),
    "approved": _l("Approved"),
    "scheduled": _l("Scheduled"),
    "published": _l("Published"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}

DELIVERY_STATUS_LABELS: dict[str, Any] = {
    "scheduled": _l("Waiting"),
    "running": _l("Sending"),
    "unconfirmed": _l("Checking"),
    "published": _l("Published"),
    "failed": _l("Failed"),
    "held": _l("Held"),
    "cancelled": _l("Cancelled"),
}

# The channels' labels are their rows' label keys (marked for extraction in channels/registry.py).
CHANNEL_LABELS: dict[str, Any] = {name: _l(row.label_key) for name, row in REGISTRY.items()}

# What a person can do to a draft (button texts).
ACTION_LABELS: dict[str, Any] = {
    "submit": _l("Send for approval"),
    "approve": _l("Approve"),
    "reject": _l("Reject"),
    "withdraw": _l("Withdraw to draft"),
    "cancel": _l("Cancel the draft"),
    "reopen": _l("Reopen"),
    "schedule": _l("Schedule"),
    "unschedule": _l("Unschedule"),
    "publish": _l("Publish"),
}

# History entries of the approval flow.
APPROVAL_EVENTS: dict[str, Any] = {
    "approval_requested": _l("Approvers asked"),
    "approval_viewed": _l("Approval link opened"),
    "approval_approve": _l("Approved by an approver"),
    "approval_reject": _l("Rejected by an approver"),
    "approval_comment": _l("Comment from an approver"),
    "approval_withdrawn": _l("Approval withdrawn"),
    "approvals_voided": _l("Earlier approval requests voided"),
    "approval_resent": _l("Approval link sent again"),
    "approval_reminded": _l("Reminder sent"),
    "approver_changed": _l("Approver changed"),
    "approval_held": _l("Held: not approved by the deadline"),
    "approval_released": _l("Hold released"),
    "approval_policy_changed": _l("Approval policy changed"),
    "approval_not_requested": _l("Approval could not be requested"),
    "approved_without_outside_approver": _l("Approved by an administrator (no outside approver)"),
    "schedule_failed": _l("Could not be scheduled"),
    "deliveries_scheduled": _l("Deliveries scheduled"),
    "deliveries_withdrawn": _l("Deliveries withdrawn"),
    "share_kit_sent": _l("Share kit sent"),
}

# What happened (history entries, past tense).
EVENT_LABELS: dict[str, Any] = {
    "created": _l("Created"),
    "edited": _l("Edited"),
    "rescheduled": _l("Desired time changed"),
    "submit": _l("Sent for approval"),
    "approve": _l("Approved"),
    "reject": _l("Rejected"),
    "withdraw": _l("Withdrawn to draft"),
    "cancel": _l("Cancelled"),
    "reopen": _l("Reopened"),
    "schedule": _l("Scheduled"),
    "unschedule": _l("Unscheduled"),
    "publish": _l("Published"),
    "login": _l("Logged in"),
    "deliveries_scheduled": _l("Deliveries scheduled"),
    "deliveries_withdrawn": _l("Deliveries withdrawn"),
    "delivery_cancelled": _l("Delivery cancelled"),
    "delivery_retry": _l("Delivery sent again"),
    **APPROVAL_EVENTS,
}

# Fields of a draft, as named in edit history (drafts.content.content_fields keys) and forms.
FIELD_LABELS: dict[str, Any] = {
    "kind": _l("Kind"),
    "title": _l("Title"),
    "body": _l("Text"),
    "link": _l("Link"),
    "initiative": _l("Initiative"),
    "municipalities": _l("Municipalities"),
    "channels": _l("Channels"),
    "media": _l("Images"),
    "variants": _l("Channel texts"),
    "event": _l("Event details"),
    "desired_at": _l("Desired time"),
    "event_start": _l("Starts"),
    "event_end": _l("Ends"),
    "venue": _l("Venue"),
    "address": _l("Address"),
    "price": _l("Price"),
    "ticket_url": _l("Ticket link"),
    "audience": _l("Audience"),
}

# Notes the system writes into history details, in words.
NOTE_LABELS: dict[str, Any] = {
    "content changed; earlier approvals no longer apply":
        _l("The content changed; earlier approvals no longer apply."),
    "edited after rejection": _l("Edited after the rejection."),
}


def label(mapping: Mapping[str, Any], key: str | None) -> str:
    """The display label for `key`, or the key itself when there is none."""
    if key is None:
        return ""
    return str(mapping.get(key, key))


def _labeller(mapping: Mapping[str, Any]) -> Callable[[str | None], str]:
    return lambda key: label(mapping, key)


def change_label(field: str) -> str:
    """A changed field's name: a field label, or "Text for Instagram" for a channel text."""
    if field.startswith("variant:"):
        channel = field.split(":", 1)[1]
        return str(_l("Text for %(channel)s", channel=label(CHANNEL_LABELS, channel)))
    return label(FIELD_LABELS, field)


def init_app(app: Flask) -> None:
    """Make the label functions available in every template."""
    app.jinja_env.globals.update(
        kind_label=_labeller(KIND_LABELS),
        status_label=_labeller(STATUS_LABELS),
        delivery_status_label=_labeller(DELIVERY_STATUS_LABELS),
        channel_label=_labeller(CHANNEL_LABELS),
        action_label=_labeller(ACTION_LABELS),
        event_label=_labeller(EVENT_LABELS),
        field_label=_labeller(FIELD_LABELS),
        change_label=change_label,
    )
