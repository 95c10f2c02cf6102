"""Links that must never approve anything, and pages that must never change anything."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select, update

from drafts.approval_links import SALT
from drafts.approvals import ApprovalRequest
from drafts.mailbox import OutgoingMail
from drafts.models import AuditEvent, Draft
from tests.approvals.helpers import (
    add_approver,
    csrf,
    link_in,
    make_draft,
    path_of,
    post_decision,
    request_mail,
    send,
    snapshot,
)
from tests.conftest import SECRET


@pytest.fixture
def asked(app, db, smtp, editor):
    """A draft sent to two approvers (all-of), and the path of each one's link."""
    chair = add_approver(db, "Rikke Formand")
    other = add_approver(db, "Ole Formand", "koge")
    draft = make_draft(db, editor, municipalities=["roskilde", "koge"])
    requests = send(app, db, draft, editor)
    paths = {a.name: path_of(link_in(request_mail(smtp, a))) for a in (chair, other)}
    return draft, {r.approver_id: r for r in requests}, paths, chair, other


def token(payload: dict, secret: str = SECRET) -> str:
    return URLSafeTimedSerializer(secret, salt=SALT).dumps(payload)


def nonce_of(path: str) -> str:
    return URLSafeTimedSerializer(SECRET, salt=SALT).loads(path.removeprefix("/a/"))["n"]


def approved_nothing(peek, draft) -> bool:
    decided = peek(lambda s: s.scalars(select(ApprovalRequest.decision).where(
        ApprovalRequest.draft_id == draft.id, ApprovalRequest.decision.is_not(None))).all())
    return decided == [] and peek(lambda s: s.get(Draft, draft.id).status) == "in_review"


def test_a_link_signed_with_another_key_is_refused_and_approves_nothing(asked, client, peek):
    draft, requests, paths, chair, _ = asked
    request = requests[chair.id]
    forged = "/a/" + token({"r": request.id, "n": nonce_of(paths[chair.name])},
                           "someone-elses-secret-key-that-is-long-enough")

    assert client.get(forged).status_code == 404
    assert post_decision(client, forged, "approve", content_hash=draft.content_hash
                         ).status_code == 404
    assert approved_nothing(peek, draft)


def test_a_tampered_link_is_refused_and_approves_nothing(asked, client, peek):
    draft, _, paths, chair, _ = asked
    path = paths[chair.name]
    payload, _, rest = path.removeprefix("/a/").partition(".")
    flipped = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]

    assert client.get(f"/a/{flipped}.{rest}").status_code == 404
    assert post_decision(client, f"/a/{flipped}.{rest}", "approve",
                         content_hash=draft.content_hash).status_code == 404
    assert approved_nothing(peek, draft)


def test_a_signed_link_naming_another_approvers_request_approves_nothing(asked, client, peek):
    # Even with the service's own key, one approver's nonce does not open another's request.
    draft, requests, paths, chair, other = asked
    crossed = "/a/" + token({"r": requests[other.id].id, "n": nonce_of(paths[chair.name])})

    assert client.get(crossed).status_code == 410
    assert post_decision(client, crossed, "approve", content_hash=draft.content_hash
                         ).status_code == 410
    assert approved_nothing(peek, draft)


def test_a_link_past_its_expiry_in_the_database_approves_nothing(asked, db, client, peek):
    draft, requests, paths, chair, _ = asked
    db.execute(update(ApprovalRequest).where(ApprovalRequest.id == requests[chair.id].id)
               .values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    db.commit()

    page = client.get(paths[chair.name])
    assert page.status_code == 410
    assert post_decision(client, paths[chair.name], "approve",
                         content_hash=draft.content_hash).status_code == 410
    assert approved_nothing(peek, draft)


def test_a_link_older_than_its_lifetime_approves_nothing(asked, client, peek, monkeypatch):
    draft, requests, paths, chair, _ = asked
    days = 15  # the lifetime is 14 days
    monkeypatch.setattr(time, "time", lambda: datetime.now(UTC).timestamp() - days * 86400)
    old = "/a/" + token({"r": requests[chair.id].id, "n": nonce_of(paths[chair.name])})
    monkeypatch.undo()

    assert client.get(old).status_code == 410
    assert approved_nothing(peek, draft)


def test_an_already_decided_link_does_not_turn_a_rejection_into_an_approval(asked, client,
                                                                            peek):
    draft, requests, paths, chair, _ = asked
    assert post_decision(client, paths[chair.name], "reject", "Ikke nu").status_code == 303

    again = post_decision(client, paths[chair.name], "approve",
                          content_hash=draft.content_hash)

    assert again.status_code == 409
    assert peek(lambda s: s.get(ApprovalRequest, requests[chair.id].id).decision) == "reject"
    assert peek(lambda s: s.get(Draft, draft.id).status) == "rejected"


def request_rows(session) -> dict[int, dict[str, object]]:
    """Each request's columns; opened_at only as set or not."""
    rows = {}
    for r in session.scalars(select(ApprovalRequest)):
        row = {c.name: getattr(r, c.name) for c in ApprovalRequest.__table__.columns}
        row["opened_at"] = "set" if row["opened_at"] else None
        rows[r.id] = row
    return rows


def test_a_plain_get_of_a_link_changes_nothing_but_the_audited_view(asked, client, peek):
    draft, requests, paths, chair, _ = asked
    before = peek(snapshot)
    rows_before = peek(request_rows)

    assert client.get(paths[chair.name]).status_code == 200

    after = peek(snapshot)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"audit_event", "approval_request"}
    [event] = peek(lambda s: s.scalars(select(AuditEvent).where(
        AuditEvent.action == "approval_viewed")).all())
    assert (event.actor_type, event.actor_id, event.version) == ("approver", chair.id, 1)
    assert event.details == {"request": requests[chair.id].id, "request_version": 1,
                             "first": True}
    assert peek(request_rows) == {**rows_before, requests[chair.id].id: {
        **rows_before[requests[chair.id].id], "opened_at": "set"}}


def test_a_get_of_an_unusable_link_changes_nothing_at_all(asked, client, peek):
    before = peek(snapshot)

    for path in ("/a/nonsense", "/a/" + "x" * 500, "/a/" + token({"r": 10**6, "n": "n"})):
        assert client.get(path).status_code == 404

    assert peek(snapshot) == before


def test_a_decision_without_the_pages_csrf_field_is_refused(asked, client, peek):
    draft, _, paths, chair, _ = asked
    client.get(paths[chair.name])
    before = peek(snapshot)

    refused = client.post(paths[chair.name], data={"decision": "approve",
                                                   "content_hash": draft.content_hash})

    assert refused.status_code == 400
    assert peek(snapshot) == before


def test_a_decision_with_a_csrf_field_from_another_browser_is_refused(asked, app, client,
                                                                      peek):
    draft, _, paths, chair, _ = asked
    stranger = app.test_client()
    field = csrf(stranger.get(paths[chair.name]).get_data(as_text=True))
    client.get(paths[chair.name])

    refused = client.post(paths[chair.name], data={
        "csrf_token": field, "decision": "approve", "content_hash": draft.content_hash})

    assert refused.status_code == 400
    assert approved_nothing(peek, draft)


def test_approving_twice_records_one_approval(app, db, client, smtp, editor, peek):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    send(app, db, draft, editor)
    path = path_of(link_in(request_mail(smtp, chair)))
    assert post_decision(client, path, "approve").status_code == 303
    before = peek(snapshot)

    again = post_decision(client, path, "approve", content_hash=draft.content_hash)

    assert again.status_code == 303
    after = peek(snapshot)
    assert {n for n in before if before[n] != after[n]} == {"audit_event"}
    actions = peek(lambda s: s.scalars(select(AuditEvent.action).where(
        AuditEvent.draft_id == draft.id, AuditEvent.action.in_(
            ["approve", "approval_approve", "schedule"]))).all())
    assert sorted(actions) == ["approval_approve", "approve", "schedule"]


def test_only_a_hash_of_the_links_nonce_is_stored(app, db, smtp, editor, peek):
    chair = add_approver(db, "Rikke Formand")
    [request] = send(app, db, make_draft(db, editor), editor)
    nonce = nonce_of(path_of(link_in(request_mail(smtp, chair))))

    stored = peek(lambda s: s.get(ApprovalRequest, request.id).nonce_hash)
    assert stored == hashlib.sha256(nonce.encode()).hexdigest()
    dump = "\n".join(line for rows in peek(snapshot).values() for line in rows)
    assert nonce not in dump
    bodies = peek(lambda s: [m.text_body + m.html_body for m in s.scalars(select(OutgoingMail))])
    assert all("/a/" not in body for body in bodies)
