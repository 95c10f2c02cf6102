"""The API can do what the web UI does: images, approval policy and an administrator's approval,
reminders, deliveries (list, filters, attempts, retry, cancel), channel-account settings and the
organisation's approvers. Each test acts through the API and checks the answer."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from drafts.models import ChannelAccount, User
from schedules.models import Attempt, Delivery
from tests.api.helpers import ApiClient, arrange_draft

NONE_POLICY = {"mode": "none", "rule": "any", "approver_ids": [], "deadline_hours": 0,
               "reminder_hours": 0}


def jpeg(size: tuple[int, int] = (1080, 1350)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "#0b4f8a").save(out, "JPEG", quality=85)
    return out.getvalue()


def upload(api: ApiClient, draft_id: int, data: bytes, alt: str = "Et band på scenen",
           name: str = "koncert.jpg") -> Any:
    return api.post(f"/drafts/{draft_id}/media", content_type="multipart/form-data",
                    data={"image": (io.BytesIO(data), name), "alt_text": alt})


def scheduled_draft(admin_api: ApiClient, db: Session, admin: User, **fields: Any) -> int:
    """A draft approved by the administrator through the API, so its deliveries exist."""
    draft_id = arrange_draft(db, admin, channels=["facebook"], **fields).id
    db.close()  # SQLite: no transaction of ours may hold the write lock while the API writes
    assert admin_api.call("PUT", f"/drafts/{draft_id}/approvals/policy",
                          json=NONE_POLICY).status_code == 200
    assert admin_api.post(f"/drafts/{draft_id}/approvals/approve").status_code == 200
    return draft_id


# ------------------------------------------------------------------------------------- media


def test_an_image_uploaded_with_alt_text_joins_the_draft_as_a_new_version(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    response = upload(admin_api, draft.id, jpeg())
    assert response.status_code == 201, response.json
    body = response.json
    assert [m["alt_text"] for m in body["media"]] == ["Et band på scenen"]
    assert body["version"] == draft.version + 1
    assert body["media"][0]["url"].endswith(".jpg")


def test_an_upload_that_is_not_an_image_is_refused_with_the_forms_message(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    response = upload(admin_api, draft.id, b"not an image at all", name="note.jpg",
                      alt="x")
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "images"
    assert admin_api.get(f"/drafts/{draft.id}").json["media"] == []


def test_an_upload_without_a_file_names_the_missing_field(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    response = admin_api.post(f"/drafts/{draft.id}/media", content_type="multipart/form-data",
                              data={"alt_text": "Ingen fil"})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "image"


def test_an_image_too_small_for_the_rules_is_refused(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    assert upload(admin_api, draft.id, jpeg((40, 40))).status_code == 422


def test_an_alt_text_can_be_changed_and_an_image_removed(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    media_id = upload(admin_api, draft.id, jpeg()).json["media"][0]["id"]
    changed = admin_api.patch(f"/drafts/{draft.id}/media/{media_id}",
                              json={"alt_text": "Publikum foran scenen"})
    assert changed.status_code == 200
    assert changed.json["media"][0]["alt_text"] == "Publikum foran scenen"
    removed = admin_api.call("DELETE", f"/drafts/{draft.id}/media/{media_id}")
    assert removed.status_code == 200 and removed.json["media"] == []


def test_a_viewer_cannot_upload_an_image(viewer_api, db, admin):
    draft = arrange_draft(db, admin)
    assert upload(viewer_api, draft.id, jpeg()).status_code == 403


# --------------------------------------------------------------------------------- approvals


def test_an_administrator_sets_the_policy_to_none_and_approves_the_draft(admin_api, db, admin):
    draft = arrange_draft(db, admin, channels=["facebook"])
    policy = admin_api.call("PUT", f"/drafts/{draft.id}/approvals/policy", json=NONE_POLICY)
    assert policy.status_code == 200 and policy.json["policy"]["mode"] == "none"
    approved = admin_api.post(f"/drafts/{draft.id}/approvals/approve")
    assert approved.status_code == 200
    assert approved.json["status"] == "scheduled"
    deliveries = admin_api.get(f"/deliveries?draft={draft.id}").json["items"]
    assert [d["channel"] for d in deliveries] == ["facebook"]


def test_approving_as_administrator_is_refused_while_outside_approvers_are_asked(
        admin_api, db, admin, chairs):
    draft = arrange_draft(db, admin)
    response = admin_api.post(f"/drafts/{draft.id}/approvals/approve")
    assert response.status_code == 409
    assert response.json["code"] == "outside_approvers"


def test_an_editor_may_not_set_a_policy_or_approve(editor_api, db, editor):
    draft = arrange_draft(db, editor)
    assert editor_api.call("PUT", f"/drafts/{draft.id}/approvals/policy",
                           json=NONE_POLICY).status_code == 403
    assert editor_api.post(f"/drafts/{draft.id}/approvals/approve").status_code == 403


def test_a_list_policy_with_an_unknown_approver_is_refused(admin_api, db, admin):
    draft = arrange_draft(db, admin)
    response = admin_api.call("PUT", f"/drafts/{draft.id}/approvals/policy", json={
        **NONE_POLICY, "mode": "list", "approver_ids": [999999]})
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "approvers"


def test_a_reminder_mails_the_approver_a_new_link(admin_api, db, admin, chairs):
    draft = arrange_draft(db, admin, channels=["facebook"])
    sent = admin_api.post(f"/drafts/{draft.id}/approvals")
    assert sent.status_code == 200
    [asked] = sent.json["requests"]
    reminded = admin_api.post(f"/drafts/{draft.id}/approvals/{asked['id']}/remind")
    assert reminded.status_code == 200
    history = [e["action"] for e in admin_api.get(f"/drafts/{draft.id}/history").json]
    assert "approval_resent" in history


def test_the_approvers_are_listed_for_choosing_a_policy(admin_api, chairs):
    response = admin_api.get("/approvers")
    assert response.status_code == 200
    assert len(response.json) == len(chairs)
    assert {"id", "name", "municipality", "role", "active"} <= set(response.json[0])


# -------------------------------------------------------------------------------- deliveries


def _fail(db: Session, draft_id: int, reason: str = "token_expired") -> int:
    """Arrange what a worker leaves after a permanent error (the worker's own tests cover how);
    return the delivery's id."""
    delivery = db.scalar(select(Delivery).where(Delivery.draft_id == draft_id))
    assert delivery is not None
    now, delivery_id = datetime.now(UTC), delivery.id
    delivery.status, delivery.attempts, delivery.last_error = "failed", 1, reason
    db.add(Attempt(delivery_id=delivery_id, worker="w1", action="publish", started_at=now,
                   finished_at=now, outcome="failed", error=reason, detail="OAuthException"))
    db.commit()
    db.close()
    return delivery_id


def test_deliveries_are_filtered_by_status_channel_account_municipality_and_time(
        admin_api, db, admin):
    first = scheduled_draft(admin_api, db, admin, municipalities=["roskilde"])
    scheduled_draft(admin_api, db, admin, municipalities=["koge"])
    _fail(db, first)
    account = db.scalar(select(ChannelAccount.id).where(ChannelAccount.platform == "facebook"))
    db.close()  # let go of SQLite's write lock before the API writes

    def ids(query: str) -> list[int]:
        response = admin_api.get("/deliveries?" + query)
        assert response.status_code == 200, response.json
        return [d["draft_id"] for d in response.json["items"]]

    assert ids("status=failed") == [first]
    assert len(ids("status=failed&status=scheduled")) == 2
    assert len(ids(f"channel=facebook&account={account}")) == 2
    assert ids("channel=x") == []
    assert ids("municipality=roskilde") == [first]
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert ids(f"due_from={tomorrow}") == []
    assert len(ids(f"due_to={tomorrow}")) == 2


def test_the_delivery_list_is_paginated(admin_api, db, admin):
    for _ in range(3):
        scheduled_draft(admin_api, db, admin)
    page = admin_api.get("/deliveries?per_page=2&page=2").json
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 1)


def test_a_bad_time_filter_is_a_field_error_not_an_empty_list(admin_api):
    response = admin_api.get("/deliveries?due_from=tomorrow")
    assert response.status_code == 422
    assert response.json["errors"][0]["field"] == "due_from"


def test_a_failed_delivery_shows_its_attempts_and_says_no_retry_will_come(admin_api, db, admin):
    delivery = _fail(db, scheduled_draft(admin_api, db, admin), "platform_unavailable")
    shown = admin_api.get(f"/deliveries/{delivery}", headers={"Accept-Language": "da"}).json
    assert shown["status"] == "failed" and shown["allowed_actions"] == ["retry"]
    assert "prøver igen automatisk" not in shown["problem"]
    assert "prøver ikke igen automatisk" in shown["problem"]
    [attempt] = admin_api.get(f"/deliveries/{delivery}/attempts").json
    assert (attempt["outcome"], attempt["error"]) == ("failed", "platform_unavailable")


def test_a_failed_delivery_is_retried_through_the_api(admin_api, db, admin):
    delivery = _fail(db, scheduled_draft(admin_api, db, admin))
    response = admin_api.post(f"/deliveries/{delivery}/retry", json={})
    assert response.status_code == 200
    assert (response.json["status"], response.json["attempts"]) == ("scheduled", 0)


def test_a_scheduled_delivery_cannot_be_retried_but_can_be_cancelled(admin_api, db, admin):
    draft_id = scheduled_draft(admin_api, db, admin)
    [delivery] = admin_api.get(f"/deliveries?draft={draft_id}").json["items"]
    refused = admin_api.post(f"/deliveries/{delivery['id']}/retry", json={})
    assert refused.status_code == 409 and refused.json["code"] == "not_retryable"
    cancelled = admin_api.post(f"/deliveries/{delivery['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    again = admin_api.post(f"/deliveries/{delivery['id']}/cancel")
    assert again.status_code == 409 and again.json["code"] == "not_cancellable"


def test_a_viewer_can_read_deliveries_but_not_retry_them(api_as, admin_api, viewer, db, admin):
    delivery = _fail(db, scheduled_draft(admin_api, db, admin))
    viewer_api = api_as(viewer)
    shown = viewer_api.get(f"/deliveries/{delivery}")
    assert shown.status_code == 200 and shown.json["allowed_actions"] == []
    assert viewer_api.post(f"/deliveries/{delivery}/retry", json={}).status_code == 403


def test_an_unknown_delivery_is_a_404_problem(admin_api):
    response = admin_api.get("/deliveries/424242/attempts")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


# --------------------------------------------------------------------------- channel accounts


def _newsletter(admin_api: ApiClient) -> dict[str, Any]:
    [account] = [a for a in admin_api.get("/accounts").json if a["platform"] == "newsletter"]
    return account


def test_the_mailchimp_sender_settings_are_stored_in_the_accounts_options(admin_api, db):
    account = _newsletter(admin_api)
    response = admin_api.patch(f"/accounts/{account['id']}", json={"options": {
        "from_name": "Kulturmetropolen", "reply_to": "kommunikation@example.org",
        "list_id": "kmp0list02", "merge_field": "KOMMUNE"}})
    assert response.status_code == 200, response.json
    row = db.get(ChannelAccount, account["id"])
    db.refresh(row)
    assert row.options == {**account["options"], "from_name": "Kulturmetropolen",
                           "reply_to": "kommunikation@example.org",
                           "list_id": "kmp0list02", "merge_field": "KOMMUNE"}


def test_an_account_setting_set_to_null_is_removed_and_others_are_kept(admin_api):
    account = _newsletter(admin_api)
    admin_api.patch(f"/accounts/{account['id']}",
                    json={"options": {"from_name": "KMP", "reply_to": "a@example.org"}})
    response = admin_api.patch(f"/accounts/{account['id']}", json={"options": {"from_name": None}})
    assert "from_name" not in response.json["options"]
    assert response.json["options"]["reply_to"] == "a@example.org"


@pytest.mark.parametrize("options,field", [
    ({"reply_to": "not an address"}, "options.reply_to"),
    ({"merge_field": "kommune-felt"}, "options.merge_field"),
    ({"access_token": "secret"}, "options.access_token"),
])
def test_a_bad_or_unknown_account_setting_is_refused_and_nothing_changes(admin_api, options,
                                                                          field):
    account = _newsletter(admin_api)
    response = admin_api.patch(f"/accounts/{account['id']}", json={"options": options})
    assert response.status_code == 422
    assert [e["field"] for e in response.json["errors"]] == [field]
    assert admin_api.get(f"/accounts/{account['id']}").json["options"] == account["options"]


def test_only_an_administrator_changes_account_settings(editor_api, admin_api):
    account = _newsletter(admin_api)
    response = editor_api.patch(f"/accounts/{account['id']}", json={"name": "Andet navn"})
    assert response.status_code == 403


def test_a_connection_test_records_the_accounts_health(admin_api):
    account = _newsletter(admin_api)  # no credentials in the environment: it cannot work
    response = admin_api.post(f"/accounts/{account['id']}/test")
    assert response.status_code == 200
    assert response.json["ok"] is False
    assert response.json["account"]["health"] == "failing"
    assert response.json["message"]
