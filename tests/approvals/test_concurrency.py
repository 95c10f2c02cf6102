"""Two approvers deciding at the same moment on an all-of policy: the draft ends consistent.

Each decision runs in its own thread and session, as two web requests would. A barrier inside
the policy check holds the first decider at the worst moment (its approval written, the other's
not yet visible) for as long as the second could catch up; the draft row lock (FOR UPDATE on
PostgreSQL, BEGIN IMMEDIATE on SQLite) is what makes the second wait and then see the first's
approval. Without it both would see one approval of two and the draft would never be approved.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import select

import drafts.approval_decisions as decisions
from drafts.approvals import ApprovalRequest
from drafts.models import AuditEvent, Draft
from publisher.flows import approval
from schedules.models import Delivery
from tests.approvals.helpers import add_approver, make_draft, send


def test_two_approvers_approving_at_once_approve_and_schedule_the_draft_exactly_once(
        app, db, smtp, editor, peek, monkeypatch):
    add_approver(db, "Rikke Formand")
    add_approver(db, "Karl Formand", "koge")
    draft = make_draft(db, editor, municipalities=["roskilde", "koge"],
                       channels=["facebook", "website"])
    ids = [r.id for r in send(app, db, draft, editor)]
    barrier = threading.Barrier(2, timeout=1.0)
    real = decisions.policy_satisfied

    def slow_check(*args, **kwargs):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the other decider is waiting for our lock: carry on alone
        return real(*args, **kwargs)

    monkeypatch.setattr(decisions, "policy_satisfied", slow_check)
    errors: list[BaseException] = []

    def approve(request_id: int) -> None:
        try:
            with app.app_context(), app.extensions["db_sessionmaker"]() as session:
                request = session.get(ApprovalRequest, request_id)
                approval.decide_by_link(session, request, "approve", "",
                                             datetime.now(UTC))
                session.commit()
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert peek(lambda s: s.get(Draft, draft.id).status) == "scheduled"
    assert peek(lambda s: s.scalars(select(ApprovalRequest.decision)).all()) == [
        "approve", "approve"]
    transitions = peek(lambda s: s.scalars(select(AuditEvent.action).where(
        AuditEvent.action.in_(["approve", "schedule"]))).all())
    assert sorted(transitions) == ["approve", "schedule"]
    channels = peek(lambda s: sorted(s.scalars(select(Delivery.channel)).all()))
    assert channels == ["facebook", "website"]
