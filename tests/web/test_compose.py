"""Composing and editing drafts through the web form: what is saved, and what is refused."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from drafts.models import AuditEvent, Draft, Initiative, Media, Role, User
from publisher.auth import hash_password

HALSNAES = "halsnaes"
PASSWORD = "another long passphrase here"


def make_editor(db: Session, username: str, initiative: str) -> None:
    found = db.scalars(select(Initiative).where(Initiative.slug == initiative)).one()
    db.add(User(username=username, name=username.title(), role=Role.EDITOR.value,
                password_hash=hash_password(PASSWORD), initiatives=[found]))
    db.commit()


def jpeg(size: tuple[int, int] = (400, 300), colour: str = "navy", exif: Any = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    if exif is not None:
        image.save(out, "JPEG", exif=exif)
    else:
        image.save(out, "JPEG")
    return out.getvalue()


def form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "post", "title": "Koncert i Halsnæs", "body": "Kom og hør **unge bands**.",
        "link": "https://example.org/koncert", "initiative": "music",
        "municipalities": [HALSNAES], "channels": ["facebook", "x"],
        "desired_at": "2026-06-01T10:00", "action": "save",
    }
    data.update(changes)
    return data


def counts(db: Session) -> tuple[int, int, int]:
    """Drafts, media rows and audit events (ends the read so the app can write)."""
    db.expire_all()
    result = tuple(db.scalar(select(func.count()).select_from(m)) or 0
                   for m in (Draft, Media, AuditEvent))
    db.commit()
    return result  # type: ignore[return-value]


def only_draft(db: Session) -> dict[str, Any]:
    """The one draft, as plain values read fresh from the database."""
    db.expire_all()
    draft = db.scalars(select(Draft)).one()
    seen = {
        "id": draft.id, "kind": draft.kind, "title": draft.title, "status": draft.status,
        "version": draft.version, "hash": draft.content_hash, "desired_at": draft.desired_at,
        "event_start": draft.event_start, "media": [(m.stored_name, m.alt_text)
                                                    for m in draft.media],
        "municipalities": [m.slug for m in draft.municipalities], "channels": draft.channels,
    }
    db.commit()
    return seen


def create(client: Any, **changes: Any) -> Any:
    return client.post_form("/drafts/new", form(**changes))


@pytest.mark.parametrize("kind", ["post", "article", "event"])
def test_it_creates_a_draft_of_each_kind(admin_client, db, kind):
    extra = {"event_start": "2026-06-10T19:00", "venue": "Musikhuset"} if kind == "event" else {}
    response = create(admin_client, kind=kind, **extra)
    assert response.status_code == 302
    seen = only_draft(db)
    assert (seen["kind"], seen["status"], seen["version"]) == (kind, "draft", 1)
    assert seen["municipalities"] == [HALSNAES]
    assert response.headers["Location"].endswith(f"/drafts/{seen['id']}")


def test_it_stores_the_desired_time_as_utc(admin_client, db):
    create(admin_client, desired_at="2026-06-01T10:00")
    assert only_draft(db)["desired_at"] == datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def test_it_stores_an_uploaded_image_with_its_alt_text(admin_client, db, app_config):
    create(admin_client, images=[(io.BytesIO(jpeg()), "koncert.jpg")], new_alt="Et band på scenen")
    (stored_name, alt), = only_draft(db)["media"]
    assert alt == "Et band på scenen"
    assert (Path(app_config["upload_dir"]) / stored_name).is_file()


def test_it_removes_gps_data_from_an_uploaded_jpeg(admin_client, db, app_config):
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (55.0, 41.0, 0.0), 3: "E", 4: (12.0, 34.0, 0.0)}
    original = jpeg(exif=exif)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the fixture has GPS
    create(admin_client, images=[(io.BytesIO(original), "gps.jpg")], new_alt="Kort")
    (stored_name, _alt), = only_draft(db)["media"]
    stored = Image.open(Path(app_config["upload_dir"]) / stored_name)
    assert not stored.getexif().get_ifd(0x8825)
    assert "exif" not in stored.info


def test_it_shows_server_side_previews_without_saving(admin_client, db):
    before = counts(db)
    response = create(admin_client, action="preview", variant_x="Kort tekst til X")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Kort tekst til X" in page
    assert "Kom og hør unge bands." in page  # the Facebook text: Markdown as plain text
    assert counts(db) == before


def test_an_edit_bumps_the_version_and_hash_and_is_audited(admin_client, db):
    create(admin_client)
    first = only_draft(db)
    response = admin_client.post_form(f"/drafts/{first['id']}/edit",
                                      form(title="Ny titel", version="1"))
    assert response.status_code == 302
    second = only_draft(db)
    assert second["version"] == 2
    assert second["hash"] != first["hash"]
    edited = db.scalars(select(AuditEvent).where(AuditEvent.action == "edited")).one()
    assert edited.details["fields"] == ["title"]
    db.commit()


def test_an_edit_of_an_approved_draft_sends_it_back_to_draft(admin_client, db, routine_policy):
    create(admin_client, channels=["facebook"], desired_at="2099-06-01T10:00")
    draft_id = only_draft(db)["id"]
    assert admin_client.post_form(f"/drafts/{draft_id}/transition",
                                  {"action": "approve"}).status_code == 302
    assert only_draft(db)["status"] in ("approved", "scheduled")
    admin_client.post_form(f"/drafts/{draft_id}/edit", form(title="Rettet titel", version="1"))
    assert only_draft(db)["status"] == "draft"
    actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.draft_id == draft_id)))
    db.commit()
    assert "withdraw" in actions


def test_an_editor_cannot_edit_another_initiatives_draft(client, db, admin_client):
    create(admin_client, initiative="youth")
    draft_id = only_draft(db)["id"]
    make_editor(db, "musik2", "music")
    client.post_form("/logout")
    client.login("musik2", PASSWORD)
    assert client.get(f"/drafts/{draft_id}/edit").status_code == 403
    response = client.post_form(f"/drafts/{draft_id}/edit", form(title="Kapret", version="1"))
    assert response.status_code == 403
    assert only_draft(db)["title"] == "Koncert i Halsnæs"


def test_an_editor_cannot_create_for_another_initiative(editor_client, db):
    before = counts(db)
    response = create(editor_client, initiative="youth")
    assert response.status_code == 403
    assert counts(db) == before


def test_a_viewer_cannot_compose(client, viewer):
    client.login("viewer")
    assert client.get("/drafts/new").status_code == 403
    assert client.post_form("/drafts/new", form()).status_code == 403


def test_a_published_draft_is_not_editable(admin_client, db):
    create(admin_client)
    draft = db.scalars(select(Draft)).one()
    draft.status = "published"
    db.commit()
    response = admin_client.post_form(f"/drafts/{draft.id}/edit", form(title="Ny", version="1"))
    assert response.status_code == 409
    assert "kan ikke længere redigeres" in response.get_data(as_text=True)
    assert only_draft(db)["title"] == "Koncert i Halsnæs"


def big_jpeg(limit: int) -> bytes:
    noise = Image.effect_noise((700, 700), 100).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=100)
    data = out.getvalue()
    assert len(data) > limit
    return data


BAD_IMAGES = {
    "corrupt": (lambda: jpeg()[:600], "ikke et billede"),
    "not_an_image": (lambda: b"%PDF-1.4\n1 0 obj<<>>endobj\n", "ikke et billede"),
    "too_small": (lambda: jpeg(size=(50, 50)), "for lille"),
}


@pytest.mark.parametrize("case", sorted(BAD_IMAGES))
def test_it_refuses_a_bad_image_and_saves_nothing(admin_client, db, case):
    make, message = BAD_IMAGES[case]
    before = counts(db)
    response = create(admin_client, images=[(io.BytesIO(jpeg()), "good.jpg"),
                                            (io.BytesIO(make()), "bad.jpg")])
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert "bad.jpg" in response.get_data(as_text=True)
    assert counts(db) == before


def test_it_refuses_an_oversize_image_and_saves_nothing(app_config, client, admin, db):
    from publisher import create_app

    small = create_app({**app_config, "max_upload_bytes": 200_000})
    small.test_client_class = type(client)
    small_client = small.test_client()
    small_client.login("admin")
    before = counts(db)
    response = small_client.post_form("/drafts/new", form(
        images=[(io.BytesIO(big_jpeg(200_000)), "huge.jpg")]))
    assert response.status_code == 422
    assert "fylder for meget" in response.get_data(as_text=True)
    assert counts(db) == before
    small.extensions["db_engine"].dispose()


BAD_FIELDS = {
    "invalid_date": ({"desired_at": "i morgen"}, "Ugyldig dato og tid"),
    "dst_gap": ({"desired_at": "2026-03-29T02:30"}, "findes ikke"),
    "dst_overlap": ({"desired_at": "2026-10-25T02:30"}, "forekommer to gange"),
    "unknown_municipality": ({"municipalities": ["atlantis"]}, "Ukendt kommune: atlantis"),
    "long_title": ({"title": "x" * 201}, "Højst 200 tegn"),
    "long_body": ({"body": "x" * 20001}, "Højst 20000 tegn"),
    "event_without_start": ({"kind": "event"}, "skal have et starttidspunkt"),
    "end_before_start": ({"kind": "event", "event_start": "2026-06-10T19:00",
                          "event_end": "2026-06-10T18:00"}, "ligger før starttidspunktet"),
}


@pytest.mark.parametrize("case", sorted(BAD_FIELDS))
def test_it_refuses_bad_input_with_a_message_and_saves_nothing(admin_client, db, case):
    changes, message = BAD_FIELDS[case]
    before = counts(db)
    response = create(admin_client, **changes)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'role="alert"' in page
    assert counts(db) == before


def test_the_dst_gap_message_suggests_a_time(admin_client):
    page = create(admin_client, desired_at="2026-03-29T02:30").get_data(as_text=True)
    assert "03.00" in page


def test_the_dst_overlap_asks_which_of_the_two_times(admin_client):
    page = create(admin_client, desired_at="2026-10-25T02:30").get_data(as_text=True)
    assert 'name="desired_at_fold"' in page
    assert "sommertid, +02:00" in page
    assert "vintertid, +01:00" in page


@pytest.mark.parametrize("fold, utc_hour", [("0", 0), ("1", 1)])
def test_the_dst_overlap_choice_decides_the_stored_instant(admin_client, db, fold, utc_hour):
    response = create(admin_client, desired_at="2026-10-25T02:30", desired_at_fold=fold)
    assert response.status_code == 302
    assert only_draft(db)["desired_at"] == datetime(2026, 10, 25, utc_hour, 30, tzinfo=UTC)


def test_editing_a_draft_in_the_overlap_keeps_its_choice(admin_client, db):
    create(admin_client, desired_at="2026-10-25T02:30", desired_at_fold="1")
    draft_id = only_draft(db)["id"]
    page = admin_client.get(f"/drafts/{draft_id}/edit").get_data(as_text=True)
    assert 'name="desired_at_fold" value="1" checked' in page


def test_it_refuses_an_edit_based_on_an_older_version(admin_client, db):
    create(admin_client)
    draft_id = only_draft(db)["id"]
    admin_client.post_form(f"/drafts/{draft_id}/edit", form(title="Første rettelse", version="1"))
    response = admin_client.post_form(f"/drafts/{draft_id}/edit",
                                      form(title="Gammel rettelse", version="1"))
    assert response.status_code == 409
    assert only_draft(db)["title"] == "Første rettelse"


def test_an_edit_removes_an_image_and_changes_alt_texts(admin_client, db):
    create(admin_client, images=[(io.BytesIO(jpeg(colour="red")), "a.jpg"),
                                 (io.BytesIO(jpeg(colour="blue")), "b.jpg")], new_alt="A\nB")
    draft = db.scalars(select(Draft)).one()
    first, second = [m.id for m in draft.media]
    draft_id = draft.id
    db.commit()
    admin_client.post_form(f"/drafts/{draft_id}/edit", form(
        version="1", remove_media=[str(first)], **{f"alt_{second}": "Blå plakat"}))
    assert [alt for _name, alt in only_draft(db)["media"]] == ["Blå plakat"]


def test_a_refused_edit_keeps_what_was_typed_for_the_images(admin_client, db):
    create(admin_client, images=[(io.BytesIO(jpeg()), "a.jpg")], new_alt="Gammel")
    draft = db.scalars(select(Draft)).one()
    draft_id, media_id = draft.id, draft.media[0].id
    db.commit()
    response = admin_client.post_form(f"/drafts/{draft_id}/edit", form(
        title="", version="1", remove_media=[str(media_id)], **{f"alt_{media_id}": "Ny tekst"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'name="alt_{media_id}" value="Ny tekst"' in page
    assert f'name="remove_media" value="{media_id}" checked' in page
