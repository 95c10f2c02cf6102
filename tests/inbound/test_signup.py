"""Newsletter sign-up on the public pages: pending in the Mailchimp audience, clear answers."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from channels.newsletter import subscriber_hash
from publisher import create_app
from tests.conftest import Client
from tests.inbound.conftest import LIST_ID


@pytest.fixture
def app(newsletter_config: dict[str, Any]) -> Any:
    application = create_app(newsletter_config)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def public(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


def member(sandbox: Any, email: str) -> dict[str, Any] | None:
    return sandbox.store.collection("mailchimp", "members").get(
        f"{LIST_ID}/{subscriber_hash(email)}")


def sign_up(public: Client, **fields: str) -> Any:
    form = {"name": "Karen Blixen", "email": "karen@example.dk", "municipality": "halsnaes"}
    form.update(fields)
    return public.post_form("/newsletter", form)


def test_the_sign_up_reaches_the_sandbox_audience_as_pending_with_the_merge_field(
        public, sandbox, newsletter_account):
    response = sign_up(public)

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/newsletter/thanks?outcome=pending")
    saved = member(sandbox, "karen@example.dk")
    assert saved is not None
    assert saved["status"] == "pending"
    assert saved["merge_fields"]["KOMMUNE"] == "halsnaes"
    assert (saved["merge_fields"]["FNAME"], saved["merge_fields"]["LNAME"]) == ("Karen", "Blixen")


def test_the_thank_you_page_tells_the_reader_to_confirm_by_mail(public, newsletter_account):
    page = public.get(sign_up(public).headers["Location"]).get_data(as_text=True)
    assert "Tjek din indbakke" in page


def test_signing_up_twice_says_the_address_waits_for_confirmation(public, sandbox,
                                                                  newsletter_account):
    sign_up(public)
    again = sign_up(public)
    assert again.headers["Location"].endswith("outcome=already_pending")
    assert member(sandbox, "karen@example.dk")["status"] == "pending"


def test_a_subscribed_reader_is_told_there_is_nothing_to_do(public, sandbox,
                                                             newsletter_account):
    sign_up(public)
    member(sandbox, "karen@example.dk")["status"] = "subscribed"
    again = sign_up(public)
    assert again.headers["Location"].endswith("outcome=already_subscribed")
    assert "Du er allerede tilmeldt" in public.get(again.headers["Location"]).get_data(
        as_text=True)


def test_an_unsubscribed_reader_who_signs_up_again_is_asked_to_confirm_again(
        public, sandbox, newsletter_account):
    sign_up(public)
    member(sandbox, "karen@example.dk")["status"] = "unsubscribed"
    again = sign_up(public)
    assert again.headers["Location"].endswith("outcome=pending")
    assert member(sandbox, "karen@example.dk")["status"] == "pending"


@pytest.mark.parametrize("email", ["karen", "karen@", "karen@example", "a b@example.dk"])
def test_a_malformed_address_is_refused_beside_the_field_and_nothing_is_sent(
        public, sandbox, newsletter_account, email):
    response = sign_up(public, email=email)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="f-email-error"' in page and "ligner ikke en e-mailadresse" in page
    assert sandbox.store.collection("mailchimp", "members") == {}


def test_an_address_mailchimp_calls_fake_is_answered_in_words(public, sandbox,
                                                             newsletter_account):
    response = sign_up(public, email="karen@test.com")
    assert response.status_code == 503
    assert "afviser denne adresse" in response.get_data(as_text=True)
    assert member(sandbox, "karen@test.com") is None


def test_an_unknown_municipality_is_refused(public, sandbox, newsletter_account):
    response = sign_up(public, municipality="atlantis")
    assert response.status_code == 422
    assert 'id="f-municipality-error"' in response.get_data(as_text=True)


def test_without_a_newsletter_account_the_reader_is_told_it_is_closed(public, sandbox,
                                                                   no_newsletter):
    response = sign_up(public)
    assert response.status_code == 503
    assert "ikke åben for tilmelding" in response.get_data(as_text=True)


def test_when_mailchimp_does_not_answer_the_reader_may_try_again(public, sandbox,
                                                                 newsletter_account):
    sandbox.fault(platform="mailchimp", op="*", kind="error", code="InternalServerError")
    response = sign_up(public)
    assert response.status_code == 503
    assert "prøv igen om et par minutter" in response.get_data(as_text=True)


def test_a_flood_from_one_address_is_rate_limited(app, public, sandbox, newsletter_account):
    limit = app.extensions["publisher_settings"].public_form_limit
    for n in range(limit):
        assert sign_up(public, email=f"reader{n}@example.dk").status_code == 303
    response = sign_up(public, email="one-more@example.dk")
    assert response.status_code == 429
    assert "Vent venligst 60 minutter" in response.get_data(as_text=True)
    assert member(sandbox, "one-more@example.dk") is None


def test_a_filled_honeypot_gets_a_thank_you_and_nothing_is_sent(public, sandbox,
                                                               newsletter_account):
    response = sign_up(public, website="http://spam.example")
    assert response.status_code == 303
    assert sandbox.store.collection("mailchimp", "members") == {}


def test_a_reader_who_chooses_english_gets_the_form_and_its_answers_in_english(
        public, newsletter_account):
    public.post_form("/language", {"locale": "en", "next": "/newsletter"})
    assert "Sign up for the newsletter" in public.get("/newsletter").get_data(as_text=True)
    page = sign_up(public, email="karen@").get_data(as_text=True)
    assert "does not look like an email address" in page
