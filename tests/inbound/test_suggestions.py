"""Activity suggestions: the public form, the secretariat's decision, the mail to the sender,
and the contact details erased after the set time."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from drafts.mailbox import OutgoingMail
from drafts.models import Draft, Media
from drafts.suggestions import FormHit, Suggestion
from publisher.flows.approval_jobs import run_jobs
from tests.api.helpers import ApiClient, issue_token
from tests.conftest import Client


def jpeg(size: tuple[int, int] = (640, 480)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, "JPEG")
    return out.getvalue()


def soon(days: int = 14) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT19:30")


def suggestion_form(**fields: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "title": "Koncert i Frederiksværk Kirke", "text": "Kor og orgel, gratis adgang.",
        "starts_at": soon(), "ends_at": "", "place": "Frederiksværk Kirke, Kirkevej 1",
        "municipality": "halsnaes", "organisation": "Frederiksværk Kor",
        "contact_name": "Ida Holm", "contact_email": "ida@kor.dk", "contact_phone": "",
        "alt_text": ""}
    form.update(fields)
    return form


def send(client: Client, **fields: Any) -> Any:
    return client.post_form("/suggest", suggestion_form(**fields),
                            content_type="multipart/form-data")


def count(peek: Any, model: type) -> int:
    return peek(lambda s: s.scalar(select(func.count()).select_from(model)) or 0)


def only_suggestion(peek: Any) -> Any:
    """The one stored suggestion, read in a short transaction (columns and a few relations)."""
    def read(session: Any) -> Any:
        row = session.scalars(select(Suggestion)).one()
        row.municipality_slug = row.municipality.slug
        row.media_alt = row.media.alt_text if row.media else None
        session.expunge(row)
        return row
    return peek(read)


def draft_facts(peek: Any, draft_id: int) -> dict[str, Any]:
    def read(session: Any) -> dict[str, Any]:
        draft = session.get(Draft, draft_id)
        return {"kind": draft.kind, "title": draft.title, "venue": draft.venue,
                "status": draft.status, "municipalities": [m.slug for m in draft.municipalities],
                "alts": [m.alt_text for m in draft.media]}
    return peek(read)


def test_a_suggestion_with_an_image_lands_in_the_secretariats_inbox(client, admin, db, peek):
    response = send(client, image=(io.BytesIO(jpeg()), "kor.jpg"),
                    alt_text="Koret synger i kirken")

    assert response.status_code == 303 and response.headers["Location"].endswith("/suggest/thanks")
    saved = only_suggestion(peek)
    assert (saved.title, saved.municipality_slug, saved.status) == (
        "Koncert i Frederiksværk Kirke", "halsnaes", "new")
    assert saved.media_alt == "Koret synger i kirken"
    client.login("admin")
    inbox = client.get("/suggestions").get_data(as_text=True)
    assert "Koncert i Frederiksværk Kirke" in inbox


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"title": ""}, "title", "Udfyld venligst feltet"),
    ({"title": "x" * 201}, "title", "højst 200 tegn"),
    ({"text": "x" * 5001}, "text", "højst 5000 tegn"),
    ({"contact_email": "ida@"}, "contact_email", "ligner ikke en e-mailadresse"),
    ({"contact_phone": "ring til mig"}, "contact_phone", "telefonnummeret"),
    ({"starts_at": "i morgen"}, "starts_at", "ÅÅÅÅ-MM-DD"),
    ({"starts_at": "2020-01-01T10:00"}, "starts_at", "fremtiden"),
    ({"ends_at": "2020-01-01T10:00"}, "ends_at", "efter starten"),
    ({"municipality": "atlantis"}, "municipality", "Udfyld venligst feltet"),
])
def test_bad_input_is_answered_beside_its_field_and_nothing_is_stored(client, db, fields, field,
                                                                      words, peek):
    response = send(client, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="f-{field}-error"' in page and words in page
    assert count(peek, Suggestion) == 0


@pytest.mark.parametrize(("image", "words"), [
    (b"not an image at all", "ikke et billede"),
    (jpeg((50, 50)), "for lille"),
])
def test_a_bad_image_is_refused_and_nothing_is_stored(client, db, image, words, peek):
    response = send(client, image=(io.BytesIO(image), "x.jpg"), alt_text="Et billede")
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert count(peek, Suggestion) == 0 and count(peek, Media) == 0


def test_an_oversize_image_is_refused_with_the_limit(app, client, db, peek):
    app.extensions["publisher_settings"].__dict__["max_upload_bytes"] = 1024 * 1024
    response = send(client, image=(io.BytesIO(b"\xff" * (1024 * 1024 + 10)), "big.jpg"),
                    alt_text="Stort")
    assert response.status_code == 422
    assert "højst 1 MB" in response.get_data(as_text=True)
    assert count(peek, Suggestion) == 0


def test_an_image_needs_a_description(client, db, peek):
    response = send(client, image=(io.BytesIO(jpeg()), "kor.jpg"), alt_text="")
    assert response.status_code == 422
    assert "Beskriv billedet" in response.get_data(as_text=True)
    assert count(peek, Media) == 0


def test_a_flood_from_one_address_is_rate_limited(app, client, db, peek):
    limit = app.extensions["publisher_settings"].public_form_limit
    for n in range(limit):
        assert send(client, title=f"Forslag {n}").status_code == 303
    response = send(client, title="Et for meget")
    assert response.status_code == 429
    assert "Vent venligst" in response.get_data(as_text=True)
    assert count(peek, Suggestion) == limit


def test_a_filled_honeypot_is_thanked_and_stored_nowhere(client, db, peek):
    response = send(client, website="buy pills")
    assert response.status_code == 303
    assert count(peek, Suggestion) == 0 and count(peek, FormHit) == 0


def test_accepting_makes_a_draft_with_the_image_and_tells_the_sender(client, admin, db, smtp, peek):
    send(client, image=(io.BytesIO(jpeg()), "kor.jpg"), alt_text="Koret synger")
    item = only_suggestion(peek)
    client.login("admin")
    page = client.get(f"/suggestions/{item.id}").get_data(as_text=True)
    assert "Ida Holm" in page and "ida@kor.dk" in page

    response = client.post_form(f"/suggestions/{item.id}/accept", {"initiative": "1"})

    assert response.status_code == 303
    item = only_suggestion(peek)
    assert item.status == "accepted" and item.draft_id is not None
    assert response.headers["Location"].endswith(f"/drafts/{item.draft_id}/edit")
    assert draft_facts(peek, item.draft_id) == {
        "kind": "event", "title": "Koncert i Frederiksværk Kirke",
        "venue": "Frederiksværk Kirke, Kirkevej 1", "status": "draft",
        "municipalities": ["halsnaes"], "alts": ["Koret synger"]}
    [mail] = smtp.to("ida@kor.dk")
    assert "bliver taget op" in str(mail["Subject"])


def test_declining_tells_the_sender_the_reason(client, admin, db, smtp, peek):
    send(client)
    item = only_suggestion(peek)
    client.login("admin")

    client.post_form(f"/suggestions/{item.id}/decline", {"reason": "Det ligger uden for "
                                                                   "aftalens kommuner."})

    item = only_suggestion(peek)
    assert item.status == "declined" and item.draft_id is None
    [mail] = smtp.to("ida@kor.dk")
    body = mail.get_body(("plain",)).get_content()
    assert "uden for aftalens kommuner" in body


def test_a_sender_who_wrote_in_english_is_answered_in_english(client, admin, db, smtp, peek):
    client.post_form("/language", {"locale": "en", "next": "/suggest"})
    send(client)
    item = only_suggestion(peek)
    assert item.locale == "en"
    client.post_form("/language", {"locale": "da", "next": "/"})
    client.login("admin")
    client.post_form(f"/suggestions/{item.id}/decline", {"reason": ""})
    [mail] = smtp.to("ida@kor.dk")
    assert str(mail["Subject"]).startswith("About your suggestion")


def test_a_suggestion_is_decided_only_once(client, admin, db, smtp, peek):
    send(client)
    item = only_suggestion(peek)
    client.login("admin")
    client.post_form(f"/suggestions/{item.id}/decline", {"reason": ""})

    again = client.post_form(f"/suggestions/{item.id}/accept", {"initiative": "1"},
                             follow_redirects=True)

    assert "allerede taget stilling" in again.get_data(as_text=True)
    assert only_suggestion(peek).status == "declined" and count(peek, Draft) == 0
    assert len(smtp.to("ida@kor.dk")) == 1


def test_only_the_secretariat_sees_suggestions(client, editor):
    client.login("musik")
    assert client.get("/suggestions").status_code == 403


def test_contact_details_are_erased_after_the_set_time_and_not_before(app, client, admin, db,
                                                                      smtp, peek):
    send(client)
    item = only_suggestion(peek)
    client.login("admin")
    client.post_form(f"/suggestions/{item.id}/decline", {"reason": "Nej tak"})
    days = app.extensions["publisher_settings"].suggestion_contact_days
    decided_at = only_suggestion(peek).decided_at

    run_jobs(app, now=decided_at + timedelta(days=days - 1))
    assert only_suggestion(peek).contact_email == "ida@kor.dk"

    counts = run_jobs(app, now=decided_at + timedelta(days=days, minutes=1))

    assert counts["suggestion_contacts_erased"] == 1
    item = only_suggestion(peek)
    assert (item.contact_name, item.contact_email, item.contact_phone) == ("", "", "")
    assert item.contact_erased_at is not None and item.title == "Koncert i Frederiksværk Kirke"
    addresses = peek(lambda s: list(s.scalars(select(OutgoingMail.to_addr).where(
        OutgoingMail.kind.like("suggestion_%")))))
    assert addresses == [""]
    assert "Slettet" in client.get(f"/suggestions/{item.id}").get_data(as_text=True)


def test_undecided_suggestions_keep_their_contact_details(app, client, db, peek):
    send(client)
    run_jobs(app, now=datetime.now(UTC) + timedelta(days=400))
    assert only_suggestion(peek).contact_email == "ida@kor.dk"


def test_the_api_lists_accepts_and_declines_suggestions(app, client, admin, db, smtp, peek):
    send(client, title="Første")
    send(client, title="Anden")
    api = ApiClient(app, issue_token(db, admin))

    listed = api.get("/suggestions?status=new").get_json()
    assert [s["title"] for s in listed] == ["Anden", "Første"]
    first, second = listed[1]["id"], listed[0]["id"]

    accepted = api.post(f"/suggestions/{first}/accept", json={"initiative": "music"})
    assert accepted.status_code == 201
    assert draft_facts(peek, accepted.get_json()["draft_id"])["title"] == "Første"
    declined = api.post(f"/suggestions/{second}/decline", json={"reason": "Nej tak"})
    assert declined.status_code == 200 and declined.get_json()["status"] == "declined"
    assert api.post(f"/suggestions/{second}/decline", json={}).status_code == 409
    assert len(smtp.to("ida@kor.dk")) == 2


def test_the_api_refuses_an_unknown_initiative_and_non_secretariat_users(app, client, admin,
                                                                          editor, db, peek):
    send(client)
    item = only_suggestion(peek)
    api = ApiClient(app, issue_token(db, admin))
    bad = api.post(f"/suggestions/{item.id}/accept", json={"initiative": "nope"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "initiative"
    assert only_suggestion(peek).status == "new"
    assert ApiClient(app, issue_token(db, editor)).get("/suggestions").status_code == 403
    assert api.get("/suggestions/999999").status_code == 404


def test_the_error_summary_names_the_field_of_each_problem(client, db):
    page = send(client, title="", contact_email="ida@").get_data(as_text=True)
    summary = page.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert 'href="#f-title">Titel: Udfyld venligst feltet.' in summary
    assert 'href="#f-contact_email">E-mailadresse: Det ligner ikke' in summary
