"""The secretariat's approvals page per draft (/drafts/<id>/approvals) and the defaults per
initiative (/admin/approval-defaults).

Everyone logged in sees who was asked, who opened the link and who decided. Those who may edit the
draft send it for approval and resend links; administrators edit the policy, change an approver,
approve drafts whose policy has no outside approver, and release a deadline hold.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from drafts.approvals import (
    ApprovalDefault,
    ApprovalRequest,
    Mode,
    Policy,
    PolicyError,
    effective_policy,
)
from drafts.models import Approver, Draft, Initiative, User
from drafts.states import audit
from publisher.auth import actor, admin_required
from publisher.db import get_session
from publisher.flows import approval
from publisher.flows.approval_status import status_of
from publisher.flows.firstday import rules
from publisher.flows.manage.policy import set_policy
from publisher.i18n import lang
from publisher.web.approval_forms import (
    approver_choices,
    mode_label,
    policy_values,
    read_policy,
    rule_label,
)
from publisher.web.approve_text import decision_text

bp = Blueprint("approvals", __name__)
bp.record_once(lambda state: state.app.jinja_env.globals.update(
    mode_label=mode_label, rule_label=rule_label))


def _user() -> User:
    user: User = g.user
    return user


def _draft(draft_id: int) -> Draft:
    draft = get_session().get(Draft, draft_id)
    if draft is None:
        abort(404)
    return draft


def _may_edit(draft: Draft) -> None:
    if not _user().may_edit(draft):
        abort(403)


def _refused(code: str) -> str:
    return {
        "approved": _("The draft is already approved."),
        "scheduled": _("The draft is already scheduled."),
        "published": _("The draft is already published."),
        "cancelled": _("The draft is cancelled."),
        "voided": _("That request is no longer open."),
        "outside_approvers": _("This draft's policy asks outside approvers; they approve by "
                               "their emailed link."),
        "inactive_approver": _("That approver is inactive or has no email address."),
        "time_passed": _("The publishing time has passed. Choose a new time (edit the draft), "
                         "then release it."),
        "in_review": _("The draft is in review."),
        "draft": _("The draft has not been sent for approval."),
        "rejected": _("The draft was rejected."),
    }.get(code, _("That is not possible now."))


def _page(draft: Draft, status: int = 200, **extra: Any) -> Any:
    db = get_session()
    state = status_of(db, draft)
    context = dict(
        draft=draft, state=state, values=policy_values(state.policy), errors={},
        approvers=approver_choices(db), may_edit=_user().may_edit(draft),
        is_admin=_user().is_admin, decision_text=decision_text, problems=[
            p.message(lang()) for p in state.problems],
    )
    context.update(extra)
    return render_template("approvals/draft.html", **context), status


@bp.get("/drafts/<int:id>/approvals")
def page(id: int) -> Any:
    """Who has been asked about this draft, who opened the link, who decided."""
    return _page(_draft(id))


def _done(draft: Draft, message: str) -> Any:
    get_session().commit()
    flash(message, "success")
    return redirect(url_for("approvals.page", id=draft.id), code=303)


@bp.post("/drafts/<int:id>/approvals/send")
def send(id: int) -> Any:
    """Send the draft to the approvers its policy names (again, if it is in review)."""
    db, draft = get_session(), _draft(id)
    _may_edit(draft)
    try:
        asked = approval.send_for_approval(db, draft, actor=actor(),
                                                requested_by=_user().name,
                                                now=datetime.now(UTC))
    except PolicyError as exc:
        db.rollback()
        return _page(draft, 422, send_problems=[p.message(lang()) for p in exc.problems])
    except rules.NotReady as exc:
        db.rollback()
        return _page(draft, 422, send_problems=[p.message(lang()) for p in exc.problems])
    except approval.FlowRefused as exc:
        db.rollback()
        flash(_refused(exc.code), "error")
        return _page(draft, 409)
    if not asked and effective_policy(db, draft).mode == Mode.NONE:
        return _done(draft, _("Sent for approval. An administrator approves it here."))
    if not asked:
        return _done(draft, _("Nobody needed asking again: the approvals already given for this "
                              "version still count."))
    return _done(draft, _("Sent for approval to %(names)s.",
                          names=", ".join(r.approver.name for r in asked)))


@bp.post("/drafts/<int:id>/approvals/policy")
@admin_required
def save_policy(id: int) -> Any:
    """Change who must approve this draft, the rule, the deadline and the reminder."""
    db, draft = get_session(), _draft(id)
    policy, values, errors = read_policy(db, request.form)
    if policy is None:
        return _page(draft, 422, values=values, errors=errors)
    if set_policy(db, draft, policy, now=datetime.now(UTC), actor=actor(), by=_user().name):
        return _done(draft, _("The policy is saved, and the draft now meets it: it is approved."))
    return _done(draft, _("The policy is saved. It applies the next time the draft is sent for "
                          "approval."))


def _request(draft: Draft, request_id: int) -> ApprovalRequest:
    found = get_session().get(ApprovalRequest, request_id)
    if found is None or found.draft_id != draft.id:
        abort(404)
    return found


@bp.post("/drafts/<int:id>/approvals/<int:request_id>/resend")
def resend(id: int, request_id: int) -> Any:
    """Mail the approver a new link (the older one stops working)."""
    db, draft = get_session(), _draft(id)
    _may_edit(draft)
    found = _request(draft, request_id)
    try:
        approval.resend(db, found, datetime.now(UTC), actor())
    except approval.FlowRefused as exc:
        db.rollback()
        flash(_refused(exc.code), "error")
        return _page(draft, 409)
    return _done(draft, _("A new link was sent to %(name)s.", name=found.approver.name))


@bp.post("/drafts/<int:id>/approvals/<int:request_id>/change")
@admin_required
def change(id: int, request_id: int) -> Any:
    """Ask another approver instead of this one."""
    db, draft = get_session(), _draft(id)
    found = _request(draft, request_id)
    raw = request.form.get("approver_id", "")
    approver = db.get(Approver, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if approver is None:
        flash(_("Choose the approver to ask instead."), "error")
        return _page(draft, 422)
    try:
        approval.change_approver(db, found, approver, datetime.now(UTC), actor(),
                                      _user().name)
    except approval.FlowRefused as exc:
        db.rollback()
        flash(_refused(exc.code), "error")
        return _page(draft, 409)
    return _done(draft, _("%(new)s is asked instead of %(old)s.", new=approver.name,
                          old=found.approver.name))


@bp.post("/drafts/<int:id>/approvals/approve")
@admin_required
def approve(id: int) -> Any:
    """An administrator's own approval, when the policy has no outside approver."""
    db, draft = get_session(), _draft(id)
    try:
        approval.admin_approve(db, draft, datetime.now(UTC), actor())
    except rules.NotReady as exc:
        db.rollback()
        return _page(draft, 422, send_problems=[p.message(lang()) for p in exc.problems])
    except approval.FlowRefused as exc:
        db.rollback()
        flash(_refused(exc.code), "error")
        return _page(draft, 409)
    return _done(draft, _("Approved by you as administrator."))


@bp.post("/drafts/<int:id>/approvals/release")
@admin_required
def release(id: int) -> Any:
    """Lift the deadline hold; an approved draft is then scheduled."""
    db, draft = get_session(), _draft(id)
    try:
        scheduled = approval.release_hold(db, draft, datetime.now(UTC), actor())
    except approval.FlowRefused as exc:
        db.rollback()
        flash(_refused(exc.code), "error")
        return _page(draft, 409)
    return _done(draft, _("Released and scheduled.") if scheduled else _("Released."))


# ------------------------------------------------------------------------ initiative defaults


def _defaults_page(status: int = 200, failed: int | None = None, **extra: Any) -> Any:
    db = get_session()
    initiatives = list(db.scalars(select(Initiative).order_by(Initiative.name)))
    rows = {r.initiative_id: r for r in db.scalars(select(ApprovalDefault))}
    forms = []
    for ini in initiatives:
        row = rows.get(ini.id)
        values = policy_values(Policy.of(row) if row is not None else Policy())
        errors: dict[str, str] = {}
        if failed == ini.id:
            values, errors = extra["values"], extra["errors"]
        forms.append({"initiative": ini, "row": row, "values": values, "errors": errors})
    return render_template("approvals/defaults.html", forms=forms,
                           approvers=approver_choices(db)), status


@bp.get("/admin/approval-defaults")
@admin_required
def defaults() -> Any:
    """The policy each initiative's new drafts start with."""
    return _defaults_page()


@bp.post("/admin/approval-defaults/<int:initiative_id>")
@admin_required
def save_defaults(initiative_id: int) -> Any:
    """Save one initiative's default policy."""
    db = get_session()
    initiative = db.get(Initiative, initiative_id)
    if initiative is None:
        abort(404)
    policy, values, errors = read_policy(db, request.form)
    if policy is None:
        return _defaults_page(422, initiative.id, values=values, errors=errors)
    now = datetime.now(UTC)
    row = db.scalar(select(ApprovalDefault).where(ApprovalDefault.initiative_id == initiative.id))
    if row is None:
        row = ApprovalDefault(initiative_id=initiative.id)
        db.add(row)
    policy.copy_to(row)
    row.updated_at, row.updated_by = now, _user().name
    audit(db, action="approval.defaults_changed", actor=actor(), now=now,
          details={"initiative": initiative.slug, "mode": policy.mode, "rule": policy.rule})
    db.commit()
    flash(_("The defaults for %(name)s are saved.", name=initiative.label(lang())), "success")
    return redirect(url_for("approvals.defaults"), code=303)
