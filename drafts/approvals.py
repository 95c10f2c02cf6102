"""Approval by emailed link: who must approve a draft (the policy), the requests, the decisions.

A policy belongs to a draft (copied from its initiative's defaults when it is first sent for
approval): the chair of each tagged municipality (their deputy when the chair is away), or a
chosen list; any-of or all-of; a deadline some hours before the publishing time; or no outside
approver at all, when an administrator approves in the UI or the API.

An `ApprovalRequest` asks one approver about one version (`content_hash`) of the draft. Its link
carries a nonce of which only the SHA-256 is stored (drafts.approval_links). An edit voids every
request for an older version; the publisher then asks again. Decisions lock the draft row first,
so two approvers deciding at once on an all-of policy cannot both miss each other's approval.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from drafts.models import Approver, ApproverRole, Base, Draft, Initiative, utcnow
from drafts.states import Actor, audit

DEFAULT_DEADLINE_HOURS = 24
DEFAULT_REMINDER_HOURS = 24
MAX_HOURS = 24 * 60


class Mode(enum.StrEnum):
    CHAIRS = "chairs"  # the chair of each tagged municipality (deputy when away)
    LIST = "list"  # the approvers chosen by name
    NONE = "none"  # no outside approver: an administrator approves (audited as such)


class Rule(enum.StrEnum):
    ANY = "any"
    ALL = "all"


class Decision(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    COMMENT = "comment"
    WITHDRAWN = "withdrawn"


class VoidReason(enum.StrEnum):
    CONTENT_CHANGED = "content_changed"  # an edit: the request names an older version
    SUPERSEDED = "superseded"  # the draft was sent for approval again
    APPROVER_CHANGED = "approver_changed"  # the secretariat asked someone else instead
    WITHDRAWN = "withdrawn"  # the secretariat took the draft back or cancelled it


class _PolicyColumns:
    """What a policy says; shared by a draft's policy and an initiative's defaults."""

    mode: Mapped[str] = mapped_column(String(16), default=Mode.CHAIRS.value)
    rule: Mapped[str] = mapped_column(String(8), default=Rule.ALL.value)
    approver_ids: Mapped[list[Any]] = mapped_column(default=list)
    deadline_hours: Mapped[int] = mapped_column(Integer, default=DEFAULT_DEADLINE_HOURS)
    reminder_hours: Mapped[int] = mapped_column(Integer, default=DEFAULT_REMINDER_HOURS)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(160), default="")


class ApprovalDefault(_PolicyColumns, Base):
    """The policy a new draft of an initiative starts with."""

    __tablename__ = "approval_default"

    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(
        ForeignKey("initiative.id", ondelete="CASCADE"), unique=True)

    initiative: Mapped[Initiative] = relationship()


class ApprovalPolicy(_PolicyColumns, Base):
    """One draft's policy, and whether its approval deadline has passed (held)."""

    __tablename__ = "approval_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id", ondelete="CASCADE"), unique=True)
    held_at: Mapped[datetime | None] = mapped_column(default=None)
    # When the approvers were last asked: the deadline is fitted to the time left from then.
    asked_at: Mapped[datetime | None] = mapped_column(default=None)

    draft: Mapped[Draft] = relationship()


class ApprovalRequest(Base):
    """One approver asked about one version of one draft. No IP addresses are kept."""

    __tablename__ = "approval_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id", ondelete="CASCADE"), index=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("approver.id"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    requested_by: Mapped[str] = mapped_column(String(160), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)  # the live link was mailed
    expires_at: Mapped[datetime]
    opened_at: Mapped[datetime | None] = mapped_column(default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    decision: Mapped[str | None] = mapped_column(String(16), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    comment: Mapped[str] = mapped_column(Text, default="")
    voided_at: Mapped[datetime | None] = mapped_column(default=None)
    void_reason: Mapped[str] = mapped_column(String(32), default="")
    # The text the approver was asked about (title, body, link), so a later visit to an old
    # link can show what changed since.
    snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)

    draft: Mapped[Draft] = relationship()
    approver: Mapped[Approver] = relationship()

    @property
    def live(self) -> bool:
        return self.voided_at is None

    def as_actor(self) -> Actor:
        return ("approver", self.approver_id, self.approver.name)


@dataclass(frozen=True)
class Policy:
    """A policy's rules, detached from any row."""

    mode: str = Mode.CHAIRS.value
    rule: str = Rule.ALL.value
    approver_ids: tuple[int, ...] = ()
    deadline_hours: int = DEFAULT_DEADLINE_HOURS
    reminder_hours: int = DEFAULT_REMINDER_HOURS
    asked_at: datetime | None = None  # a draft's policy: when the approvers were last asked

    @classmethod
    def of(cls, row: _PolicyColumns) -> Policy:
        return cls(row.mode, row.rule, tuple(int(i) for i in row.approver_ids or ()),
                   row.deadline_hours, row.reminder_hours, getattr(row, "asked_at", None))

    def copy_to(self, row: _PolicyColumns) -> None:
        row.mode, row.rule = self.mode, self.rule
        row.approver_ids = list(self.approver_ids)
        row.deadline_hours, row.reminder_hours = self.deadline_hours, self.reminder_hours


@dataclass(frozen=True)
class PolicyProblem:
    """Why a policy cannot be applied to a draft, in Danish and English."""

    code: str
    da: str
    en: str

    def message(self, lang: str = "da") -> str:
        return self.en if lang == "en" else self.da


class PolicyError(Exception):
    """The policy names nobody who can be asked (no chair, everyone away, an empty list …)."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        super().__init__("; ".join(p.en for p in problems))
        self.problems = problems


# ------------------------------------------------------------------------------------ policies


def initiative_default(session: Session, initiative_id: int) -> Policy:
    """The initiative's default policy, or the built-in one (chairs, all of them)."""
    row = session.scalar(select(ApprovalDefault).where(
        ApprovalDefault.initiative_id == initiative_id))
    return Policy.of(row) if row is not None else Policy()


def draft_policy_row(session: Session, draft: Draft) -> ApprovalPolicy | None:
    return session.scalar(select(ApprovalPolicy).where(ApprovalPolicy.draft_id == draft.id))


def effective_policy(session: Session, draft: Draft) -> Policy:
    """The draft's own policy, else its initiative's defaults."""
    row = draft_policy_row(session, draft)
    return Policy.of(row) if row is not None else initiative_default(session, draft.initiative_id)


def ensure_policy_row(session: Session, draft: Draft, now: datetime, by: str) -> ApprovalPolicy:
    """The draft's policy row, created from the initiative's defaults when missing."""
    row = draft_policy_row(session, draft)
    if row is None:
        row = ApprovalPolicy(draft_id=draft.id, updated_at=now, updated_by=by)
        initiative_default(session, draft.initiative_id).copy_to(row)
        session.add(row)
        session.flush()
    return row


# The approvers always get at least this share of the time between being asked and the
# publishing time, and at least MIN_WINDOW of it (all of it when less is left).
WINDOW_SHARE = 0.5
MIN_WINDOW = timedelta(minutes=15)


def fitted_deadline(desired_at: datetime, lead_hours: int, asked_at: datetime | None
                    ) -> datetime:
    """The policy's lead time before `desired_at`, shortened so that approvers asked at
    `asked_at` get a fair share of the time left: the deadline is never before they are asked.

    E.g. a 24-hour lead asked 2 hours ahead gives a deadline 1 hour after asking; asked 5 minutes
    ahead, the deadline is the publishing time itself."""
    deadline = desired_at - timedelta(hours=lead_hours)
    if asked_at is None:
        return deadline
    left = desired_at - asked_at
    if left <= timedelta(0):
        return desired_at
    window = max(left * WINDOW_SHARE, min(MIN_WINDOW, left))
    return max(deadline, asked_at + window)


def deadline_of(draft: Draft, policy: Policy, asked_at: datetime | None = None
                ) -> datetime | None:
    """When approval must be in (None: no publishing time): `deadline_hours` before the
    publishing time, fitted to when the approvers were asked (`asked_at`, else the policy's)."""
    if draft.desired_at is None:
        return None
    return fitted_deadline(draft.desired_at, policy.deadline_hours, asked_at or policy.asked_at)


def stand_in(session: Session, approver: Approver) -> Approver | None:
    """The approver, or their deputy when they are away or inactive (None: nobody)."""
    if approver.active and not approver.away:
        return approver
    return session.scalar(
        select(Approver).where(Approver.deputy_of_id == approver.id, Approver.active.is_(True),
                               Approver.away.is_(False)).order_by(Approver.id).limit(1))


def _away(name: str) -> PolicyProblem:
    return PolicyProblem(
        "away", f"{name} er fraværende eller inaktiv og har ingen aktiv stedfortræder.",
        f"{name} is away or inactive and has no active deputy.")


def _chairs(session: Session, draft: Draft) -> tuple[list[Approver], list[PolicyProblem]]:
    found: list[Approver] = []
    problems: list[PolicyProblem] = []
    if not draft.municipalities:
        problems.append(PolicyProblem(
            "no_municipalities", "Kladden er ikke knyttet til nogen kommune, så der er ingen "
            "formand at spørge. Vælg godkendere ved navn.",
            "The draft names no municipality, so there is no chair to ask. Choose approvers "
            "by name."))
    for muni in draft.municipalities:
        chair = session.scalar(
            select(Approver).where(Approver.municipality_id == muni.id,
                                   Approver.role == ApproverRole.CHAIR.value)
            .order_by(Approver.active.desc(), Approver.id).limit(1))
        if chair is None:
            problems.append(PolicyProblem(
                "no_chair", f"{muni.name} har ingen udvalgsformand blandt godkenderne.",
                f"{muni.name} has no committee chair among the approvers."))
            continue
        person = stand_in(session, chair)
        if person is None:
            problems.append(_away(chair.name))
        elif person not in found:
            found.append(person)
    return found, problems


def _chosen(session: Session, ids: Sequence[int]) -> tuple[list[Approver], list[PolicyProblem]]:
    found: list[Approver] = []
    problems: list[PolicyProblem] = []
    if not ids:
        problems.append(PolicyProblem("no_approvers", "Vælg mindst én godkender.",
                                      "Choose at least one approver."))
    for approver_id in ids:
        approver = session.get(Approver, approver_id)
        person = stand_in(session, approver) if approver is not None else None
        if approver is None:
            problems.append(PolicyProblem("unknown_approver", "En valgt godkender findes ikke.",
                                          "A chosen approver does not exist."))
        elif person is None:
            problems.append(_away(approver.name))
        elif person not in found:
            found.append(person)
    return found, problems


def resolve_approvers(session: Session, draft: Draft,
                      policy: Policy) -> tuple[list[Approver], list[PolicyProblem]]:
    """Whom the policy asks about this draft, and what stands in the way."""
    if policy.mode == Mode.NONE:
        return [], []
    if policy.mode == Mode.LIST:
        return _chosen(session, policy.approver_ids)
    return _chairs(session, draft)


# ------------------------------------------------------------------------------------ requests


def hash_nonce(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def new_nonce() -> tuple[str, str]:
    """A fresh nonce and its hash (only the hash is ever stored)."""
    nonce = secrets.token_urlsafe(24)
    return nonce, hash_nonce(nonce)


def live_requests(session: Session, draft: Draft) -> list[ApprovalRequest]:
    """Requests not voided, oldest first, read fresh from the database."""
    return list(session.scalars(
        select(ApprovalRequest).where(ApprovalRequest.draft_id == draft.id,
                                      ApprovalRequest.voided_at.is_(None))
        .order_by(ApprovalRequest.id).execution_options(populate_existing=True)))


def current_requests(session: Session, draft: Draft) -> list[ApprovalRequest]:
    """Live requests for the draft's current content."""
    return [r for r in live_requests(session, draft) if r.content_hash == draft.content_hash]


def policy_satisfied(session: Session, draft: Draft, policy: Policy | None = None) -> bool:
    """True when the current requests' approvals meet the policy's any-of / all-of rule."""
    policy = policy or effective_policy(session, draft)
    if policy.mode == Mode.NONE:
        return False  # only an administrator's own approval counts
    requests = current_requests(session, draft)
    approved = [r for r in requests if r.decision == Decision.APPROVE]
    if policy.rule == Rule.ANY:
        return bool(approved)
    return bool(requests) and len(approved) == len(requests)


def policy_failed(session: Session, draft: Draft, policy: Policy | None = None) -> bool:
    """True when rejections mean the policy can no longer be met by the current requests."""
    policy = policy or effective_policy(session, draft)
    requests = current_requests(session, draft)
    rejected = [r for r in requests if r.decision == Decision.REJECT]
    if policy.mode == Mode.NONE or not rejected:
        return False
    if policy.rule == Rule.ALL:
        return True
    return all(r.decision in (Decision.REJECT, Decision.WITHDRAWN) for r in requests)


def void_requests(session: Session, draft: Draft, now: datetime, reason: VoidReason,
                  *, actor: Actor = ("system", None, "approvals"), only_stale: bool = False,
                  keep: Sequence[ApprovalRequest] = ()) -> list[ApprovalRequest]:
    """Void the draft's live requests (only those for older content when `only_stale`)."""
    voided = [r for r in live_requests(session, draft)
              if (not only_stale or r.content_hash != draft.content_hash) and r not in keep]
    for request in voided:
        request.voided_at = now
        request.void_reason = reason.value
    if voided:
        session.flush()
        audit(session, action="approvals_voided", actor=actor, now=now, draft=draft,
              details={"reason": reason.value, "requests": [r.id for r in voided]})
    return voided


def add_request(session: Session, draft: Draft, approver: Approver, now: datetime, *,
                requested_by: str, link_days: int) -> ApprovalRequest:
    """One new request for the draft's current version (its mail brings the live link)."""
    request = ApprovalRequest(
        draft_id=draft.id, approver=approver, content_hash=draft.content_hash,
        version=draft.version, nonce_hash=new_nonce()[1], requested_by=requested_by[:160],
        created_at=now, expires_at=now + timedelta(days=link_days), snapshot=snapshot_of(draft))
    session.add(request)
    return request


def snapshot_of(draft: Draft) -> dict[str, Any]:
    """What an approver is shown of a version, kept to tell them later what changed."""
    return {"title": draft.title, "body": draft.body, "link": draft.link,
            "variants": {v.channel: v.text for v in draft.variants}}


def request_approval(
    session: Session, draft: Draft, now: datetime, *, requested_by: str, link_days: int,
    approvers: Sequence[Approver] | None = None, actor: Actor = ("system", None, "approvals"),
) -> list[ApprovalRequest]:
    """Ask the policy's approvers (or `approvers`) about the current version; void older asks
    (an approval of this version by an approver still asked is kept). Return the new requests."""
    policy = effective_policy(session, draft)
    if approvers is None:
        if policy.mode == Mode.NONE:
            raise PolicyError([PolicyProblem(
                "no_outside_approver", "Politikken har ingen godkender udefra: en administrator "
                "godkender selv.", "The policy has no outside approver: an administrator "
                "approves.")])
        approvers, problems = resolve_approvers(session, draft, policy)
        if problems:
            raise PolicyError(problems)
    # An approval of this very version by someone the policy still asks keeps counting.
    wanted = {a.id for a in approvers}
    kept = [r for r in current_requests(session, draft)
            if r.decision == Decision.APPROVE and r.approver_id in wanted]
    void_requests(session, draft, now, VoidReason.SUPERSEDED, actor=actor, keep=kept)
    done = {r.approver_id for r in kept}
    created = [add_request(session, draft, a, now, requested_by=requested_by,
                           link_days=link_days) for a in approvers if a.id not in done]
    session.flush()
    audit(session, action="approval_requested", actor=actor, now=now, draft=draft,
          details={"requests": [r.id for r in created],
                   "approvers": [r.approver.name for r in created],
                   "kept": [r.id for r in kept], "rule": policy.rule,
                   "content_hash": draft.content_hash})
    return created


def void_on_edit(session: Session, draft: Draft, now: datetime) -> list[ApprovalRequest]:
    """Void every live request for an older version of the draft (an edit changed it)."""
    return void_requests(session, draft, now, VoidReason.CONTENT_CHANGED, only_stale=True)
