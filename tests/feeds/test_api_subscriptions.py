"""/subscriptions: create, list, pause, resume, rotate, read the delivery log; in the
OpenAPI document; administrators only."""

from __future__ import annotations

from datetime import UTC, datetime

from publisher.flows.feeds.jobs import run_feed_jobs
from tests.api.helpers import ApiClient, issue_token
from tests.feeds.helpers import publish

NOW = datetime.now(UTC).replace(microsecond=0)


def api(app, db, user):
    return ApiClient(app, issue_token(db, user))


def hook(receiver_url, **filter_):
    return {"name": "Halsnæs web", "contact_email": "web@halsnaes.dk", "delivery": "webhook",
            "webhook_url": receiver_url, "filter": {"municipalities": ["halsnaes"], **filter_}}


def test_a_webhook_subscription_made_through_the_api_shows_its_secret_once(app, db, admin,
                                                                          receiver):
    client = api(app, db, admin)
    created = client.post("/subscriptions", json=hook(receiver.url))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and body["status"] == "active"
    again = client.get(f"/subscriptions/{body['id']}").get_json()
    assert "secret" not in again
    assert [s["id"] for s in client.get("/subscriptions").get_json()] == [body["id"]]


def test_the_delivery_log_lists_every_try(app, db, admin, receiver):
    client = api(app, db, admin)
    sub = client.post("/subscriptions", json=hook(receiver.url)).get_json()
    receiver.answers = [(500, {})]
    publish(db, "Koncert", now=NOW)
    run_feed_jobs(app, NOW)
    log = client.get(f"/subscriptions/{sub['id']}/deliveries").get_json()
    assert [(e["event"], e["status_code"], e["message_status"]) for e in log] == [
        ("item.published", 500, "pending")]
    assert log[0]["next_attempt_at"] is not None


def test_pause_resume_and_rotate_through_the_api(app, db, admin, receiver):
    client = api(app, db, admin)
    sub = client.post("/subscriptions", json=hook(receiver.url)).get_json()
    base = f"/subscriptions/{sub['id']}"
    assert client.post(base + "/pause").get_json()["status"] == "paused"
    assert client.post(base + "/pause").status_code == 409
    assert client.post(base + "/resume").get_json()["status"] == "active"
    rotated = client.post(base + "/rotate").get_json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != sub["secret"]


def test_a_private_feed_subscription_answers_with_its_addresses(app, db, admin):
    body = api(app, db, admin).post("/subscriptions", json={
        "name": "Køge", "contact_email": "web@koege.dk", "delivery": "feed"}).get_json()
    assert set(body["feed_urls"]) == {"atom", "rss", "json", "ics"}
    assert app.test_client().get(body["feed_urls"]["atom"].removeprefix(
        "http://127.0.0.1:5000")).status_code == 200


def test_an_inside_webhook_target_is_refused_with_a_field_error(app, db, admin):
    response = api(app, db, admin).post(
        "/subscriptions", json=hook("http://169.254.169.254/latest"),
        headers={"Accept-Language": "en"})
    assert response.status_code == 422
    [error] = response.get_json()["errors"]
    assert error["field"] == "webhook_url" and error["code"] == "unsafe_link-local"
    assert error["message"] == ("169.254.169.254 is a link-local address: webhooks go only to "
                                "public addresses.")


def test_unknown_filter_values_and_fields_are_refused(app, db, admin):
    client = api(app, db, admin)
    response = client.post("/subscriptions", json={
        "name": "X", "contact_email": "x@example.org", "delivery": "feed",
        "filter": {"municipalities": ["atlantis"]}})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "filter.municipalities"
    response = client.post("/subscriptions", json={
        "name": "X", "contact_email": "x@example.org", "delivery": "feed", "colour": "red"})
    assert response.status_code == 422


def test_only_administrators_manage_subscriptions(app, db, editor):
    assert api(app, db, editor).get("/subscriptions").status_code == 403


def test_the_openapi_document_describes_the_subscription_operations(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = {op["operationId"] for path in spec["paths"].values()
                  for op in path.values() if isinstance(op, dict) and "operationId" in op}
    assert {"listSubscriptions", "createSubscription", "getSubscription", "pauseSubscription",
            "resumeSubscription", "rotateSubscriptionSecret", "cancelSubscription",
            "listSubscriptionDeliveries"} <= operations
