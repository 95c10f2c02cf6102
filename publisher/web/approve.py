"""The approver's page behind the emailed link: /a/<token>. Public (no account).

GET shows exactly what will be published and changes nothing but an audited "viewed" event (mail
scanners open links too). Approve / Reject / Comment / Withdraw are POSTs with the page's CSRF
field. A link for an older version shows that the text has changed and the current version;
deciding on that version takes the newer link we mailed (the approval is tied to the version the
link names, never carried over). No IP addresses are stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
)
from flask import session as web_session
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from drafts.approval_decisions import MAX_COMMENT, DecisionRefused
from drafts.approval_links import LinkState, open_link
from drafts.approvals import ApprovalRequest, Decision, deadline_of, effective_policy
from drafts.models import AuditEvent, Draft, User
from drafts.states import Status, audit
from publisher.auth import public
from publisher.config import current_settings
from publisher.db import get_session
from publisher.flows import approval
from publisher.flows.delivery_views import deliveries_of
from publisher.flows.firstday import published
from publisher.flows.firstday.changes import changes_since
from publisher.flows.notices import channel_views
from publisher.web import labels
from publisher.web.approve_text import (
    decision_text,
    event_detail,
    event_text,
    long_time,
    refused_text,
    what_next,
)
from publisher.web.history import SYSTEM_ACTORS

bp = Blueprint("approve", __name__)


def _setup(state: Any) -> None:
    state.app.jinja_env.filters["long_time"] = long_time
    state.app.jinja_env.globals.update(
        decision_text=decision_text,
        org_email=lambda: state.app.extensions["organisation"].secretariat_email)


bp.record_once(_setup)


@bp.after_request
def _private(response: Response) -> Response:
    """A page behind a personal link is never stored by a shared cache or indexed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response
DECISIONS = {"approve": Decision.APPROVE, "reject": Decision.REJECT,
             "comment": Decision.COMMENT, "withdraw": Decision.WITHDRAWN}
HIDDEN_EVENTS = {"approval_viewed", "login"}


def _locale(request_row: ApprovalRequest | None) -> str:
    """The visitor's own choice of language, else the approver's, else the default."""
    allowed = current_settings().locale_list
    chosen = web_session.get("locale")
    if chosen in allowed:
        return str(chosen)
    if request_row is not None and request_row.approver.locale in allowed:
        return request_row.approver.locale
    return current_settings().default_locale


def _open(token: str, now: datetime) -> Any:
    """The link's request, or the page that says why the link cannot be used."""
    link = open_link(get_session(), current_settings().secret_key, token, now,
                     current_settings().approval_link_days * 24 * 3600)
    state = link.state.value
    if link.state == LinkState.OK and link.request is not None:
        if link.request.approver.active:
            return link.request
        state = "inactive"  # the approver has left: their link decides nothing any more
    status = {"invalid": 404, "expired": 410, "replaced": 410, "inactive": 403}
    with force_locale(_locale(link.request)):
        return render_template("approve/unusable.html", state=state,
                               request_row=link.request), status[state]


def _newer(request_row: ApprovalRequest) -> ApprovalRequest | None:
    """The approver's live request for the draft's current version, if one was mailed."""
    draft = request_row.draft
    return get_session().scalar(select(ApprovalRequest).where(
        ApprovalRequest.draft_id == draft.id, ApprovalRequest.approver_id ==
        request_row.approver_id, ApprovalRequest.voided_at.is_(None),
        ApprovalRequest.content_hash == draft.content_hash, ApprovalRequest.id != request_row.id,
    ).order_by(ApprovalRequest.id.desc()).limit(1))


def _history(draft: Draft) -> list[dict[str, Any]]:
    db = get_session()
    events = [e for e in db.scalars(select(AuditEvent).where(AuditEvent.draft_id == draft.id)
                                    .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
              if e.action not in HIDDEN_EVENTS]
    ids = {e.actor_id for e in events if e.actor_type in ("user", "api") and e.actor_id}
    names = {u.id: u.name for u in db.scalars(select(User).where(User.id.in_(ids)))}
    return [{"event": e, "text": event_text(e.action),
             "detail": event_detail(e.action, e.details or {}),
             "who": names.get(e.actor_id) if e.actor_type in ("user", "api") and e.actor_id
             else labels.label(SYSTEM_ACTORS, e.actor_label) if e.actor_type == "system"
             else e.actor_label} for e in events]


def _render(request_row: ApprovalRequest, token: str, status: int = 200, **extra: Any) -> Any:
    db = get_session()
    draft = request_row.draft
    stale = not request_row.live or request_row.content_hash != draft.content_hash
    others = [r for r in db.scalars(select(ApprovalRequest).where(
        ApprovalRequest.draft_id == draft.id, ApprovalRequest.voided_at.is_(None),
        ApprovalRequest.content_hash == draft.content_hash).order_by(ApprovalRequest.id))]
    policy = effective_policy(db, draft)
    context = dict(
        token=token, request_row=request_row, draft=draft, stale=stale,
        newer=_newer(request_row) if stale else None, channels=channel_views(draft),
        approvers=others, policy=policy, deadline=deadline_of(draft, policy),
        history=_history(draft), next_text=what_next(db, request_row, policy),
        may_decide=not stale and draft.status not in (Status.PUBLISHED, Status.CANCELLED,
                                                      Status.REJECTED),
        max_comment=MAX_COMMENT, comment="", errors={},
        changes=changes_since(request_row.snapshot or {}, draft) if stale else [],
        progress=published.progress(deliveries_of(db, draft)),
    )
    context.update(extra)
    with force_locale(_locale(request_row)):
        return render_template("approve/page.html", **context), status


@bp.get("/a/<token>")
@public
def page(token: str) -> Any:
    """Show the approver what will be published; record only that they looked."""
    now = datetime.now(UTC)
    found = _open(token, now)
    if not isinstance(found, ApprovalRequest):
        return found
    db = get_session()
    first = found.opened_at is None
    if first:
        found.opened_at = now
    audit(db, action="approval_viewed", actor=found.as_actor(), now=now, draft=found.draft,
          details={"request": found.id, "request_version": found.version, "first": first})
    db.commit()
    return _render(found, token)


@bp.post("/a/<token>")
@public
def decide(token: str) -> Any:
    """Record the approver's decision, then show what happens next."""
    now = datetime.now(UTC)
    found = _open(token, now)
    if not isinstance(found, ApprovalRequest):
        return found
    decision = DECISIONS.get(request.form.get("decision", ""))
    if decision is None:
        abort(400)
    comment = (request.form.get("comment") or "").strip()
    with force_locale(_locale(found)):
        if len(comment) > MAX_COMMENT:
            return _render(found, token, 422, comment=comment, errors={"comment": _(
                "The comment is too long: at most %(n)s characters.", n=MAX_COMMENT)})
        if request.form.get("content_hash") != found.content_hash:
            return _render(found, token, 409, refused=refused_text("changed"))
        try:
            approval.decide_by_link(get_session(), found, decision, comment, now)
        except DecisionRefused as exc:
            get_session().rollback()
            status = 422 if exc.code == "comment_required" else 409
            errors = {"comment": refused_text(exc.code)} if status == 422 else {}
            return _render(found, token, status, comment=comment, errors=errors,
                           refused=refused_text(exc.code) if status == 409 else None)
        get_session().commit()
        flash(_("Thank you. Your answer is recorded."), "success")
    return redirect(request.path, code=303)
