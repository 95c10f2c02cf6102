"""The account form's platform settings (the Mailchimp sender, reply-to, audience, merge field),
saved by the same use case as PATCH /api/v1/accounts."""

from __future__ import annotations

from sqlalchemy import select

from drafts.models import ChannelAccount


def newsletter_id(db) -> int:
    found = db.scalar(select(ChannelAccount.id).where(ChannelAccount.platform == "newsletter"))
    db.close()
    return found


def test_the_form_shows_the_newsletters_settings(admin_client, db):
    page = admin_client.get(f"/admin/accounts/{newsletter_id(db)}").get_data(as_text=True)
    assert "Afsendernavn" in page and 'name="opt_reply_to"' in page


def test_the_mailchimp_sender_and_reply_to_are_saved_from_the_form(admin_client, db):
    account_id = newsletter_id(db)
    response = admin_client.post_form(f"/admin/accounts/{account_id}/settings", {
        "opt_from_name": "Kulturmetropolen", "opt_reply_to": "svar@example.org",
        "opt_list_id": "kmp0list02", "opt_merge_field": "KOMMUNE",
        "opt_segment_by_municipality": "yes"})
    assert response.status_code == 303
    options = db.get(ChannelAccount, account_id).options
    assert (options["from_name"], options["reply_to"], options["list_id"]) == (
        "Kulturmetropolen", "svar@example.org", "kmp0list02")
    assert options["segment_by_municipality"] is True


def test_a_bad_reply_to_is_refused_beside_the_field_and_nothing_is_saved(admin_client, db):
    account_id = newsletter_id(db)
    before = dict(db.get(ChannelAccount, account_id).options or {})
    db.close()
    response = admin_client.post_form(f"/admin/accounts/{account_id}/settings", {
        "opt_from_name": "Nyt navn", "opt_reply_to": "ikke en adresse"})
    assert response.status_code == 422
    assert 'id="f-opt_reply_to-error"' in response.get_data(as_text=True)
    assert db.get(ChannelAccount, account_id).options == before
