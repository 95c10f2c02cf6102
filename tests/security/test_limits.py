"""Problems 7, 9, 10 and 12: an open redirect on retry's failure branch; one ~100 MB body
limit for every route, parsed before authorisation; a refused form's image left on disk;
OpenAPI gaps, 405 without Allow, click counts inflated by a loop, a world-readable database."""

from __future__ import annotations

import io
import json
import os
import stat
from pathlib import Path

from sqlalchemy import select

from drafts.tracking import LinkClick, link_for
from publisher.db import make_engine
from publisher.security import BODY_LIMIT
from tests.api.helpers import issue_token
from tests.approvals.helpers import make_draft
from tests.web.test_compose import create, jpeg
from tests.web.test_publishing import _scheduled_draft

# -- 7. open redirect


def test_a_refused_retry_does_not_redirect_to_another_site(admin_client, db):
    _, (fb, _web) = _scheduled_draft(db)  # scheduled, not failed: the retry is refused
    response = admin_client.post_form(f"/deliveries/{fb.id}/retry",
                                      {"back": "https://evil.example/"})
    assert response.status_code == 303
    assert "evil.example" not in response.headers["Location"]


def test_a_retry_goes_back_to_a_local_page(admin_client, db):
    _, (fb, _web) = _scheduled_draft(db)
    response = admin_client.post_form(f"/deliveries/{fb.id}/retry", {"back": "/publishing"})
    assert response.headers["Location"] == "/publishing"


def test_no_view_can_redirect_to_another_site_unless_marked(app, client, admin):
    from flask import redirect

    app.add_url_rule("/test-forgetful", "forgetful",
                     lambda: redirect("https://evil.example/x"))  # a view that forgot safe_next
    client.login("admin")
    assert "evil.example" not in client.get("/test-forgetful").headers["Location"]


# -- 9. body limits, authorisation before parsing


def test_an_anonymous_body_over_a_mebibyte_is_refused_on_login(client):
    response = client.post("/login", data={"username": "x", "password": "y" * (BODY_LIMIT + 1)})
    assert response.status_code == 413


def test_an_anonymous_post_to_a_protected_page_is_refused_unread(client):
    big = io.BytesIO(b"x" * (BODY_LIMIT * 3))
    response = client.post("/drafts/new", data={"images": (big, "a.jpg")})
    assert response.status_code == 401


def test_a_viewer_cannot_send_an_upload_sized_body(client, db, viewer):
    client.login("viewer")
    big = io.BytesIO(b"x" * (BODY_LIMIT * 2))
    response = client.post_form("/drafts/new", {"title": "x", "images": (big, "a.jpg")})
    assert response.status_code == 413


def test_an_editor_may_upload_images_larger_than_the_default_limit(admin_client, db, app_config):
    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((1200, 900), 100).convert("RGB").save(out, "JPEG", quality=100)
    assert len(out.getvalue()) > BODY_LIMIT
    response = create(admin_client, images=[(io.BytesIO(out.getvalue()), "stor.jpg")],
                      new_alt="Støj")
    assert response.status_code == 302


def test_a_viewer_token_gets_its_403_before_its_body_is_read(app, db, viewer):
    secret = issue_token(db, viewer)
    body = json.dumps({"title": "x", "municipalities": ["roskilde"] * 50_000})
    assert len(body) < BODY_LIMIT
    response = app.test_client().post("/api/v1/drafts", data="{not json",
                                      content_type="application/json",
                                      headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403  # not 400: the body was never parsed


def test_a_json_body_over_a_mebibyte_is_a_413(app, db, admin):
    secret = issue_token(db, admin)
    body = json.dumps({"title": "x", "body": "y" * BODY_LIMIT})
    response = app.test_client().post("/api/v1/drafts", data=body,
                                      content_type="application/json",
                                      headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 413


def test_a_list_longer_than_its_schema_allows_is_refused(app, db, admin):
    secret = issue_token(db, admin)
    response = app.test_client().post(
        "/api/v1/drafts", json={"title": "x", "initiative": "music",
                                "municipalities": ["roskilde"] * 101},
        headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "municipalities"


# -- 10. uploads of a refused form


def test_a_refused_form_leaves_no_image_on_disk(admin_client, app_config):
    response = create(admin_client, title="", images=[(io.BytesIO(jpeg()), "koncert.jpg")],
                      new_alt="Et band")
    assert response.status_code == 422
    uploads = Path(app_config["upload_dir"])
    assert not uploads.exists() or list(uploads.iterdir()) == []


def test_a_refused_form_keeps_an_image_another_draft_uses(admin_client, app_config):
    assert create(admin_client, images=[(io.BytesIO(jpeg()), "a.jpg")],
                  new_alt="Et band").status_code == 302
    create(admin_client, title="", images=[(io.BytesIO(jpeg()), "a.jpg")], new_alt="Et band")
    assert len(list(Path(app_config["upload_dir"]).iterdir())) == 1


# -- 12. OpenAPI gaps, Allow, clicks, file modes


def test_the_openapi_document_says_municipalities_needs_one_and_lists_are_capped(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schema = spec["components"]["schemas"]["DraftCreate"]["properties"]["municipalities"]
    assert schema["minItems"] == 1 and schema["maxItems"] >= 9
    assert "invalid_characters" in json.dumps(spec)


def test_a_405_says_which_methods_are_allowed(client, admin):
    client.login("admin")
    response = client.delete("/queue")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]


def test_a_405_from_the_api_says_which_methods_are_allowed(app, db, admin):
    secret = issue_token(db, admin)
    response = app.test_client().delete("/api/v1/drafts",
                                        headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def _clicks(db):
    db.expire_all()
    total = sum(c.clicks for c in db.scalars(select(LinkClick)))
    db.commit()
    return total


def test_a_loop_on_a_tracked_link_counts_once(db, client, editor):
    from datetime import UTC, datetime

    draft = make_draft(db, editor)
    link = link_for(db, draft, draft.municipalities[0], "https://example.org/", datetime.now(UTC))
    db.commit()
    for _ in range(50):
        assert client.get(f"/l/{link.code}", headers={"User-Agent": "Mozilla/5.0"}) \
            .status_code == 302
    assert _clicks(db) == 1


def test_a_bot_that_says_so_is_not_counted(db, client, editor):
    from datetime import UTC, datetime

    draft = make_draft(db, editor)
    link = link_for(db, draft, draft.municipalities[0], "https://example.org/", datetime.now(UTC))
    db.commit()
    for agent in ("Googlebot/2.1 (+http://www.google.com/bot.html)", "facebookexternalhit/1.1",
                  "python-requests/2.32", "curl/8.0", ""):
        client.get(f"/l/{link.code}", headers={"User-Agent": agent})
    assert _clicks(db) == 0


def test_a_repeat_after_the_window_counts_again():
    from publisher.flows.security.clicks import RepeatFilter

    now = [0.0]
    repeats = RepeatFilter(window=30, clock=lambda: now[0])
    assert repeats.first_time("abcd", "192.0.2.1", "Mozilla")
    assert not repeats.first_time("abcd", "192.0.2.1", "Mozilla")
    assert repeats.first_time("abcd", "192.0.2.2", "Mozilla")
    now[0] = 31.0
    assert repeats.first_time("abcd", "192.0.2.1", "Mozilla")


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "var" / "publisher.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    engine.dispose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    path = tmp_path / "demo.db"
    path.touch()
    path.chmod(0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


