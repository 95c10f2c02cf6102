"""Setting a draft's approval policy (administrators), from the web form or the API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.approvals import MAX_HOURS, Mode, Policy, PolicyProblem, Rule, ensure_policy_row
from drafts.models import Approver, Draft
from drafts.states import Actor, audit
from publisher.flows import approval


def check_policy(session: Session, mode: str, rule: str, approver_ids: list[int],
                 deadline_hours: int, reminder_hours: int) -> tuple[Policy | None,
                                                                   list[PolicyProblem]]:
    """The policy asked for, or what is wrong with it (field name as the problem's code)."""
    found: list[PolicyProblem] = []
    if mode not in {m.value for m in Mode}:
        found.append(PolicyProblem("mode", "Vælg, hvem der skal godkende.",
                                   "Choose who must approve."))
    if rule not in {r.value for r in Rule}:
        found.append(PolicyProblem("rule", "Vælg, om én godkendelse er nok.",
                                   "Choose whether one approval is enough."))
    known = set(session.scalars(select(Approver.id).where(Approver.id.in_(approver_ids),
                                                          Approver.active.is_(True))))
    if set(approver_ids) - known:
        found.append(PolicyProblem("approvers", "Vælg godkendere fra listen.",
                                   "Choose approvers from the list."))
    elif mode == Mode.LIST and not approver_ids:
        found.append(PolicyProblem("approvers", "Vælg mindst én godkender.",
                                   "Choose at least one approver."))
    for name, hours in (("deadline_hours", deadline_hours), ("reminder_hours", reminder_hours)):
        if not 0 <= hours <= MAX_HOURS:
            found.append(PolicyProblem(
                name, f"Angiv et helt antal timer fra 0 til {MAX_HOURS}.",
                f"Enter a whole number of hours from 0 to {MAX_HOURS}."))
    if found:
        return None, found
    kept = tuple(dict.fromkeys(approver_ids)) if mode == Mode.LIST else ()
    return Policy(mode, rule, kept, deadline_hours, reminder_hours), []


def set_policy(session: Session, draft: Draft, policy: Policy, *, now: datetime, actor: Actor,
               by: str) -> bool:
    """Store the draft's own policy (audited); True if the draft now meets it and is approved."""
    row = ensure_policy_row(session, draft, now, actor[2])
    policy.copy_to(row)
    row.updated_at, row.updated_by = now, by
    audit(session, action="approval_policy_changed", actor=actor, now=now, draft=draft,
          details={"mode": policy.mode, "rule": policy.rule,
                   "approvers": list(policy.approver_ids),
                   "deadline_hours": policy.deadline_hours,
                   "reminder_hours": policy.reminder_hours})
    return approval.reconsider(session, draft, now, actor)
