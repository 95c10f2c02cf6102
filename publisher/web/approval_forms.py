"""The approval policy form, shared by a draft's approvals page and the initiative defaults."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from drafts.approvals import Mode, Policy, Rule
from drafts.models import Approver, Municipality
from publisher.flows.manage.policy import check_policy
from publisher.i18n import lang


def mode_label(mode: str) -> str:
    return {
        Mode.CHAIRS.value: _("The committee chair of each of the draft's municipalities "
                             "(their deputy when they are away)"),
        Mode.LIST.value: _("The approvers chosen below"),
        Mode.NONE.value: _("No outside approver: an administrator approves"),
    }.get(mode, mode)


def rule_label(rule: str) -> str:
    return {Rule.ALL.value: _("Everyone asked must approve"),
            Rule.ANY.value: _("One approval is enough")}.get(rule, rule)


def approver_choices(session: Session) -> list[Approver]:
    """Active approvers, by municipality and name."""
    return list(session.scalars(
        select(Approver).outerjoin(Municipality, Approver.municipality_id == Municipality.id)
        .where(Approver.active.is_(True)).order_by(Municipality.name, Approver.name)))


def policy_values(policy: Policy) -> dict[str, Any]:
    return {"mode": policy.mode, "rule": policy.rule, "approvers": list(policy.approver_ids),
            "deadline_hours": str(policy.deadline_hours),
            "reminder_hours": str(policy.reminder_hours)}


def _hours(form: MultiDict[str, str], name: str) -> int:
    """The whole hours typed, or -1 (which check_policy refuses) for anything else."""
    raw = (form.get(name) or "").strip()
    return int(raw) if raw.isdigit() and len(raw) <= 6 else -1


def read_policy(session: Session, form: MultiDict[str, str]
                ) -> tuple[Policy | None, dict[str, Any], dict[str, str]]:
    """The submitted policy, the values to show again, and the problems per field."""
    mode = form.get("mode", "")
    rule = form.get("rule", "")
    raw_ids = form.getlist("approvers")
    ids = [int(i) for i in raw_ids if i.isdigit() and len(i) < 12]
    values: dict[str, Any] = {"mode": mode, "rule": rule, "approvers": ids,
                              "deadline_hours": form.get("deadline_hours", ""),
                              "reminder_hours": form.get("reminder_hours", "")}
    policy, problems = check_policy(session, mode, rule, ids, _hours(form, "deadline_hours"),
                                    _hours(form, "reminder_hours"))
    errors = {p.code: p.message(lang()) for p in problems}
    if len(ids) != len(raw_ids):
        errors["approvers"] = _("Choose approvers from the list.")
    if errors:
        return None, values, errors
    return policy, values, errors
