"""Drafts over the JSON API: list, create, read, update, transitions, history, and refusals."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from drafts.models import AuditEvent, Draft, Media, Municipality
from tests.api.helpers import arrange_draft, count

NEW = {"title": "Sommerkoncert", "body": "Gratis *koncert*.", "initiative": "music",
       "municipalities": ["roskilde", "koge"], "channels": ["facebook", "x"]}


def titles(response: Any) -> list[str]:
    return [item["title"] for item in response.get_json()["items"]]


# --- listing ---------------------------------------------------------------------------------


def test_it_lists_drafts_newest_first_with_page_information(admin_api, db, admin):
    for title in ("Første", "Anden", "Tredje"):
        arrange_draft(db, admin, title=title)
    body = admin_api.get("/drafts?per_page=2&page=1").get_json()
    assert [d["title"] for d in body["items"]] == ["Tredje", "Anden"]
    assert (body["total"], body["page"], body["per_page"], body["pages"]) == (3, 1, 2, 2)
    assert titles(admin_api.get("/drafts?per_page=2&page=2")) == ["Første"]


@pytest.mark.parametrize(("query", "expected"), [
    ("status=in_review", ["Ung"]),
    ("municipality=koge", ["Event"]),
    ("initiative=youth", ["Ung"]),
    ("channel=website", ["Event"]),
    ("kind=event", ["Event"]),
    ("q=PARKEN", ["Musik"]),
    ("q=50%25", []),
])
def test_it_filters_the_list(admin_api, db, admin, query, expected):
    arrange_draft(db, admin, title="Musik", body="I parken")
    young = arrange_draft(db, admin, title="Ung", initiative="youth")
    young.status = "in_review"
    arrange_draft(db, admin, title="Event", kind="event", municipalities=["koge"],
                  channels=["website"], event_start="2025-06-01T18:00")
    db.commit()
    assert titles(admin_api.get("/drafts?" + query)) == expected


def test_it_filters_by_desired_time_in_copenhagen_time(admin_api, db, admin):
    arrange_draft(db, admin, title="Morgen", desired_at="2025-06-02T00:30")  # 22:30Z the day before
    arrange_draft(db, admin, title="Aften", desired_at="2025-06-02T23:30")
    arrange_draft(db, admin, title="Næste dag", desired_at="2025-06-03T00:30")
    response = admin_api.get("/drafts?desired_from=2025-06-02&desired_to=2025-06-02")
    assert titles(response) == ["Aften", "Morgen"]


@pytest.mark.parametrize(("query", "field", "code"), [
    ("municipality=atlantis", "municipality", "unknown"),
    ("per_page=101", "per_page", "out_of_range"),
    ("status=lost", "status", "invalid_choice"),
    ("desired_from=yesterday", "desired_from", "invalid_datetime"),
])
def test_it_refuses_bad_filters_naming_the_parameter(admin_api, query, field, code):
    response = admin_api.get("/drafts?" + query)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert [(e["field"], e["code"]) for e in response.get_json()["errors"]] == [(field, code)]


def test_it_lists_active_municipalities_and_initiatives(viewer_api):
    municipalities = viewer_api.get("/municipalities").get_json()
    initiatives = viewer_api.get("/initiatives").get_json()
    assert "halsnaes" in [m["slug"] for m in municipalities]
    music = next(i for i in initiatives if i["slug"] == "music")
    assert music["home_municipality"] == "roskilde"


def test_it_lists_inactive_municipalities_only_when_asked(viewer_api, db):
    db.scalars(select(Municipality).where(Municipality.slug == "herlev")).one().active = False
    db.commit()
    assert "herlev" not in [m["slug"] for m in viewer_api.get("/municipalities").get_json()]
    everything = viewer_api.get("/municipalities?all=true").get_json()
    assert {"slug": "herlev", "name": "Herlev", "active": False} in everything


# --- creating --------------------------------------------------------------------------------


def test_it_creates_a_draft_and_answers_with_its_location_and_version(editor_api, db):
    response = editor_api.post("/drafts", json=NEW)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/drafts/{body['id']}"
    assert response.headers["ETag"] == '"1"'
    assert (body["status"], body["version"], body["author"]) == ("draft", 1, "musik")
    assert body["municipalities"] == ["koge", "roskilde"]
    assert db.get(Draft, body["id"]).content_hash == body["content_hash"]


def test_it_reads_a_time_without_offset_as_copenhagen_wall_clock(admin_api):
    body = admin_api.post("/drafts", json={**NEW, "desired_at": "2025-06-01T10:00"}).get_json()
    assert body["desired_at"] == "2025-06-01T08:00:00+00:00"


def test_it_reads_a_time_with_offset_as_that_instant(admin_api):
    body = admin_api.post("/drafts", json={**NEW, "desired_at": "2025-06-01T10:00Z"}).get_json()
    assert body["desired_at"] == "2025-06-01T10:00:00+00:00"


def test_it_resolves_the_autumn_hour_with_fold(admin_api):
    body = admin_api.post("/drafts", json={
        **NEW, "desired_at": "2025-10-26T02:30", "desired_at_fold": 1}).get_json()
    assert body["desired_at"] == "2025-10-26T01:30:00+00:00"


def test_an_editor_cannot_create_a_draft_for_another_initiative(editor_api, db):
    response = editor_api.post("/drafts", json={**NEW, "initiative": "youth"})
    assert response.status_code == 403
    assert count(db, Draft) == 0


def test_a_viewer_cannot_create_a_draft(viewer_api, db):
    assert viewer_api.post("/drafts", json=NEW).status_code == 403
    assert count(db, Draft) == 0


@pytest.mark.parametrize(("change", "field", "code"), [
    ({"municipalities": ["roskilde", "atlantis"]}, "municipalities", "unknown"),
    ({"desired_at": "2025-13-45T10:00"}, "desired_at", "invalid_datetime"),
    ({"desired_at": "2025-03-30T02:30"}, "desired_at", "dst_gap"),
    ({"desired_at": "2025-10-26T02:30"}, "desired_at", "dst_ambiguous"),
    ({"title": "x" * 201}, "title", "too_long"),
    ({"title": 5}, "title", "invalid_type"),
    ({"title": None}, "title", "null"),
    ({"municipalities": "roskilde"}, "municipalities", "invalid_type"),
    ({"channels": ["facebook", 7]}, "channels.1", "invalid_type"),
    ({"colour": "red"}, "colour", "unknown_field"),
    ({"title": "nul\x00tegn"}, "title", "invalid_characters"),
    ({"initiative": ""}, "initiative", "required"),
])
def test_it_refuses_bad_input_naming_the_field_and_changes_nothing(admin_api, db, change,
                                                                    field, code):
    response = admin_api.post("/drafts", json={**NEW, **change})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert [(e["field"], e["code"]) for e in response.get_json()["errors"]] == [(field, code)]
    assert (count(db, Draft), count(db, AuditEvent)) == (0, 0)


def test_it_names_a_missing_required_field(admin_api):
    response = admin_api.post("/drafts", json={"title": "Kun titel"})
    fields = {(e["field"], e["code"]) for e in response.get_json()["errors"]}
    assert fields == {("initiative", "required"), ("municipalities", "required")}


def test_it_explains_field_errors_in_the_language_asked_for(admin_api):
    bad = {**NEW, "title": 5}
    english = admin_api.post("/drafts", json=bad, headers={"Accept-Language": "en"}).get_json()
    danish = admin_api.post("/drafts", json=bad, headers={"Accept-Language": "da"}).get_json()
    assert english["errors"][0]["message"] == "Expected text."
    assert danish["errors"][0]["message"] == "Forventede tekst."
    assert english["title"] == "Some fields need correcting"
    assert danish["title"] != english["title"]


def test_it_answers_malformed_json_with_400(admin_api, db):
    response = admin_api.post("/drafts", data='{"title": ', content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["code"] == "invalid_json"
    assert count(db, Draft) == 0


def test_it_refuses_a_body_that_is_not_json(admin_api, db):
    response = admin_api.post("/drafts", data={"title": "Formular"})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["code"] == "not_json"


def test_it_refuses_a_body_over_the_size_limit(app, admin_api, db):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = admin_api.post("/drafts", json={**NEW, "body": "x" * 2000})
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert count(db, Draft) == 0


def test_it_refuses_a_body_that_is_not_an_object(admin_api):
    response = admin_api.post("/drafts", json=["title"])
    assert response.status_code == 422
    assert response.get_json()["errors"][0] == {
        "field": "", "code": "invalid_type", "message": "Forventede et JSON-objekt."}


# --- reading ---------------------------------------------------------------------------------


def test_it_shows_a_draft_with_channel_texts_media_and_versions(admin_api, db, admin):
    draft = arrange_draft(db, admin, variants={"x": "Kort tekst til X"})
    db.add(Media(draft=draft, filename="a.jpg", stored_name="abc123.jpg", mime_type="image/jpeg",
                 width=1080, height=1350, size_bytes=1000, sha256="0" * 64, alt_text="Scenen"))
    db.commit()
    response = admin_api.get(f"/drafts/{draft.id}")
    body = response.get_json()
    assert response.headers["ETag"] == '"1"'
    assert body["channel_text"]["x"] == "Kort tekst til X"
    assert body["channel_text"]["facebook"].startswith("Koncert i parken\n\nKom og hør musik.")
    assert body["body_html"] == "<p>Kom og hør <strong>musik</strong>.</p>\n"
    assert body["media"][0]["url"] == "http://127.0.0.1:5000/media/abc123.jpg"
    assert (body["media"][0]["width"], body["media"][0]["alt_text"]) == (1080, "Scenen")
    assert body["created_at"].endswith("+00:00")


@pytest.mark.parametrize(("who", "expected"), [
    ("admin", ["submit", "approve", "cancel"]),
    ("editor", ["submit", "cancel"]),
    ("viewer", []),
])
def test_it_lists_the_actions_this_user_may_take(api_as, db, admin, editor, viewer, who,
                                                 expected):
    draft = arrange_draft(db, admin)
    user = {"admin": admin, "editor": editor, "viewer": viewer}[who]
    assert api_as(user).get(f"/drafts/{draft.id}").get_json()["allowed_actions"] == expected


@pytest.mark.parametrize("draft_id", [12345, 0, 10**20])
def test_it_answers_404_for_a_draft_that_does_not_exist(admin_api, draft_id):
    response = admin_api.get(f"/drafts/{draft_id}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


# --- updating --------------------------------------------------------------------------------


def test_it_changes_only_the_fields_given(editor_api, db, admin):
    draft = arrange_draft(db, admin)
    response = editor_api.patch(f"/drafts/{draft.id}", json={"title": "Ny titel"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["title"], body["body"], body["version"]) == ("Ny titel", draft.body, 2)
    assert body["municipalities"] == ["roskilde"]
    assert response.headers["ETag"] == '"2"'


def test_it_clears_a_time_given_as_null(admin_api, db, admin):
    draft = arrange_draft(db, admin, desired_at="2025-06-01T10:00")
    body = admin_api.patch(f"/drafts/{draft.id}", json={"desired_at": None}).get_json()
    assert body["desired_at"] is None


@pytest.mark.parametrize(("headers", "payload"), [
    ({"If-Match": '"1"'}, {"title": "Min udgave", "version": 1}),
    ({"If-Match": '"1"'}, {"title": "Min udgave"}),
    ({}, {"title": "Min udgave", "version": 1}),
])
def test_it_refuses_an_edit_of_an_older_version(admin_api, db, admin, headers, payload):
    draft = arrange_draft(db, admin)
    assert admin_api.patch(f"/drafts/{draft.id}", json={"title": "Deres udgave"}).status_code == 200
    response = admin_api.patch(f"/drafts/{draft.id}", json=payload, headers=headers)
    assert response.status_code == 409
    assert response.get_json()["current_version"] == 2
    db.expire_all()
    assert db.get(Draft, draft.id).title == "Deres udgave"


def test_it_accepts_an_edit_of_the_current_version(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    response = admin_api.patch(f"/drafts/{draft.id}", json={"title": "Rettet", "version": 1},
                               headers={"If-Match": 'W/"1"'})
    assert response.status_code == 200


def test_an_editor_cannot_edit_a_draft_of_another_initiative(editor_api, db, admin):
    draft = arrange_draft(db, admin, initiative="youth")
    assert editor_api.patch(f"/drafts/{draft.id}", json={"title": "Min"}).status_code == 403
    db.expire_all()
    assert db.get(Draft, draft.id).title == "Koncert i parken"


def test_an_editor_cannot_move_a_draft_to_another_initiative(editor_api, db, admin):
    draft = arrange_draft(db, admin)
    response = editor_api.patch(f"/drafts/{draft.id}", json={"initiative": "youth"})
    assert response.status_code == 403
    db.expire_all()
    assert db.get(Draft, draft.id).initiative.slug == "music"


def test_a_bad_edit_changes_nothing(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    response = admin_api.patch(f"/drafts/{draft.id}",
                               json={"title": "Ny", "municipalities": ["atlantis"]})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "municipalities"
    db.expire_all()
    assert (db.get(Draft, draft.id).title, count(db, AuditEvent)) == ("Koncert i parken", 1)


def test_a_draft_keeps_a_municipality_that_was_deactivated_since(admin_api, db, admin):
    draft = arrange_draft(db, admin, municipalities=["herlev"])
    db.scalars(select(Municipality).where(Municipality.slug == "herlev")).one().active = False
    db.commit()
    response = admin_api.patch(f"/drafts/{draft.id}", json={"title": "Stadig i Herlev"})
    assert response.status_code == 200, response.get_json()
    refused = admin_api.post("/drafts", json={**NEW, "municipalities": ["herlev"]})
    assert refused.get_json()["errors"][0]["code"] == "unknown"


def test_it_refuses_to_edit_a_cancelled_draft(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    draft.status = "cancelled"
    db.commit()
    response = admin_api.patch(f"/drafts/{draft.id}", json={"title": "For sent"})
    assert response.status_code == 409
    assert response.get_json()["current_status"] == "cancelled"


def test_an_edit_sends_an_approved_draft_back_to_draft(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    draft.status = "approved"
    db.commit()
    body = admin_api.patch(f"/drafts/{draft.id}", json={"body": "Ny tekst"}).get_json()
    assert (body["status"], body["version"]) == ("draft", 2)


# --- transitions and history -----------------------------------------------------------------


def test_an_editor_submits_a_draft_for_review_and_its_approvers_are_asked(
        editor_api, db, admin, chairs):
    from drafts.approvals import ApprovalRequest

    draft = arrange_draft(db, admin, channels=["facebook"])  # the demo has no X account
    response = editor_api.post(f"/drafts/{draft.id}/transitions", json={"action": "submit"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "in_review"
    asked = db.scalars(select(ApprovalRequest).where(ApprovalRequest.draft_id == draft.id)).all()
    assert {r.approver.municipality.slug for r in asked} == {m.slug for m in draft.municipalities}


def test_submitting_without_anyone_to_ask_is_refused_and_changes_nothing(editor_api, db, admin):
    draft = arrange_draft(db, admin, channels=["facebook"])  # the demo has no X account
    response = editor_api.post(f"/drafts/{draft.id}/transitions", json={"action": "submit"})
    assert response.status_code == 422
    assert response.get_json()["code"] == "no_approvers"
    db.expire_all()
    assert db.get(Draft, draft.id).status == "draft"


def test_an_admin_approves_a_routine_draft_directly_and_it_is_scheduled(
        admin_api, db, admin, routine_policy):
    draft = arrange_draft(db, admin, channels=["facebook"])  # the demo has no X account
    admin_api.post(f"/drafts/{draft.id}/transitions", json={"action": "submit"})
    response = admin_api.post(f"/drafts/{draft.id}/transitions",
                              json={"action": "approve", "version": 1})
    assert response.get_json()["status"] == "scheduled"
    events = admin_api.get(f"/drafts/{draft.id}/history").get_json()
    actions = [e["action"] for e in events]
    assert actions[:2] == ["created", "submit"]
    approval = next(e for e in events if e["action"] == "approve")
    assert (approval["actor_type"], approval["actor_label"]) == ("api", "admin")
    assert approval["details"]["to"] == "approved"
    assert "approved_without_outside_approver" in actions
    assert "deliveries_scheduled" in actions


def test_an_admin_cannot_approve_past_the_outside_approvers(admin_api, db, admin, chairs):
    draft = arrange_draft(db, admin, channels=["facebook"])  # the demo has no X account
    admin_api.post(f"/drafts/{draft.id}/transitions", json={"action": "submit"})
    response = admin_api.post(f"/drafts/{draft.id}/transitions", json={"action": "approve"})
    assert response.status_code == 409
    assert response.get_json()["code"] == "outside_approvers"
    db.expire_all()
    assert db.get(Draft, draft.id).status == "in_review"


def test_an_editor_cannot_approve(editor_api, db, admin):
    draft = arrange_draft(db, admin)
    response = editor_api.post(f"/drafts/{draft.id}/transitions", json={"action": "approve"})
    assert response.status_code == 403
    assert count(db, AuditEvent) == 1


def test_a_viewer_cannot_move_a_draft(viewer_api, db, admin):
    draft = arrange_draft(db, admin)
    response = viewer_api.post(f"/drafts/{draft.id}/transitions", json={"action": "submit"})
    assert response.status_code == 403


def test_it_leaves_publishing_to_the_system(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    response = admin_api.post(f"/drafts/{draft.id}/transitions", json={"action": "publish"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["code"] == "system_action"


def test_it_refuses_an_impossible_transition_naming_status_and_actions(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    response = admin_api.post(f"/drafts/{draft.id}/transitions", json={"action": "reopen"})
    assert response.status_code == 409
    body = response.get_json()
    assert (body["current_status"], body["allowed_actions"]) == (
        "draft", ["submit", "approve", "cancel"])
    assert "submit, approve, cancel" in body["detail"]
    assert count(db, AuditEvent) == 1


def test_it_refuses_a_transition_of_an_older_version(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    response = admin_api.post(f"/drafts/{draft.id}/transitions", json={"action": "approve"},
                              headers={"If-Match": '"7"'})
    assert response.status_code == 409
    db.expire_all()
    assert db.get(Draft, draft.id).status == "draft"


def test_history_of_a_missing_draft_is_404(admin_api):
    assert admin_api.get("/drafts/999/history").status_code == 404




def test_a_scheduled_draft_shows_each_delivery_and_cancelling_withdraws_them(
        admin_api, db, admin, routine_policy):
    draft = arrange_draft(db, admin, channels=["facebook", "website"])
    admin_api.post(f"/drafts/{draft.id}/transitions", json={"action": "submit"})
    admin_api.post(f"/drafts/{draft.id}/transitions", json={"action": "approve"})
    body = admin_api.get(f"/drafts/{draft.id}").get_json()
    assert body["status"] == "scheduled"
    assert sorted(d["channel"] for d in body["deliveries"]) == ["facebook", "website"]
    first = body["deliveries"][0]
    assert (first["status"], first["attempts"], first["external_id"]) == ("scheduled", 0, "")
    response = admin_api.post(f"/drafts/{draft.id}/transitions", json={"action": "cancel"})
    assert response.status_code == 200
    assert {d["status"] for d in response.get_json()["deliveries"]} == {"cancelled"}
    assert response.get_json()["status"] == "cancelled"


def test_a_failed_delivery_says_why_in_the_requests_language(admin_api, db, admin,
                                                               routine_policy):
    from schedules.models import Delivery

    draft = arrange_draft(db, admin, channels=["facebook"])
    admin_api.post(f"/drafts/{draft.id}/transitions", json={"action": "submit"})
    admin_api.post(f"/drafts/{draft.id}/transitions", json={"action": "approve"})
    row = db.scalars(select(Delivery).where(Delivery.draft_id == draft.id)).one()
    row.status, row.last_error, row.attempts = "failed", "token_expired", 1
    db.commit()
    body = admin_api.get(f"/drafts/{draft.id}", headers={"Accept-Language": "en"}).get_json()
    assert body["deliveries"][0]["problem"].startswith("Access to the account has expired")
