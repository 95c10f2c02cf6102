"""Approvals over the JSON API: send a draft for approval and read where it stands."""

from __future__ import annotations

from sqlalchemy import select

from drafts.approvals import ApprovalRequest
from drafts.models import Draft
from tests.api.helpers import ApiClient, issue_token
from tests.approvals.helpers import (
    add_approver,
    link_in,
    make_draft,
    path_of,
    post_decision,
    request_mail,
    snapshot,
)


def api(app, db, user) -> ApiClient:
    return ApiClient(app, issue_token(db, user))


def test_an_editor_sends_a_draft_for_approval_and_the_approver_gets_the_mail(app, db, smtp,
                                                                            editor, peek):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)

    response = api(app, db, editor).post(f"/drafts/{draft.id}/approvals", json={"version": 1})

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "in_review" and body["satisfied"] is False
    [asked] = body["requests"]
    assert (asked["approver"]["name"], asked["decision"]) == ("Rikke Formand", None)
    assert len(smtp.to(chair.email)) == 1


def test_reading_the_approvals_shows_who_opened_and_who_decided(app, db, client, smtp, editor,
                                                                viewer):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    api(app, db, editor).post(f"/drafts/{draft.id}/approvals")
    post_decision(client, path_of(link_in(request_mail(smtp, chair))), "comment", "Fint!")

    body = api(app, db, viewer).get(f"/drafts/{draft.id}/approvals").get_json()

    [asked] = body["requests"]
    assert asked["opened_at"] and asked["decision"] == "comment"
    assert asked["comment"] == "Fint!"
    assert body["policy"]["mode"] == "chairs" and body["policy"]["rule"] == "all"


def test_a_viewer_cannot_send_for_approval(app, db, smtp, editor, viewer, peek):
    add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    before = peek(snapshot)

    response = api(app, db, viewer).post(f"/drafts/{draft.id}/approvals")

    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert smtp.messages == []
    assert {k for k in before if before[k] != peek(snapshot)[k]} == {"api_token"}


def test_a_policy_that_names_nobody_is_a_422_naming_the_municipality(app, db, smtp, editor,
                                                                     peek):
    draft = make_draft(db, editor, municipalities=["herlev"])

    response = api(app, db, editor).post(f"/drafts/{draft.id}/approvals",
                                         headers={"Accept-Language": "en"})

    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert (error["field"], error["code"]) == ("policy", "no_chair")
    assert "Herlev has no committee chair" in error["message"]
    assert peek(lambda s: s.get(Draft, draft.id).status) == "draft"


def test_sending_an_older_version_is_a_conflict(app, db, smtp, editor):
    add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)

    response = api(app, db, editor).post(f"/drafts/{draft.id}/approvals",
                                         json={"version": 7})

    assert response.status_code == 409 and smtp.messages == []


def test_the_api_never_records_a_decision_for_an_approver(app, db, client, smtp, editor, admin,
                                                          peek):
    chair = add_approver(db, "Rikke Formand")
    draft = make_draft(db, editor)
    client_api = api(app, db, admin)
    client_api.post(f"/drafts/{draft.id}/approvals")

    again = client_api.post(f"/drafts/{draft.id}/approvals")

    assert again.status_code == 200
    decisions = peek(lambda s: s.scalars(select(ApprovalRequest.decision)).all())
    assert decisions == [None, None]
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = set(spec["paths"]["/api/v1/drafts/{draft_id}/approvals"]) - {"parameters"}
    assert operations == {"get", "post"}
    assert not [path for path in spec["paths"] if "decision" in path or "/a/" in path]
    assert len(smtp.to(chair.email)) == 2
