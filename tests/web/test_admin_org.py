"""Administration of the organisation: municipalities, initiatives, approvers, channel accounts."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from drafts.models import Approver, ChannelAccount, Initiative, Municipality
from tests.web.admin_support import actions, audit_details, count, find, ids, page

# -- municipalities -------------------------------------------------------------------------


def test_it_adds_a_municipality(admin_client, db):
    response = admin_client.post_form("/admin/municipalities/new",
                                      {"slug": "greve", "name": "Greve"})
    assert response.status_code == 302
    muni = find(db, Municipality, slug="greve")
    assert (muni.name, muni.active) == ("Greve", True)
    assert audit_details(db, "municipality.created")["slug"] == "greve"


@pytest.mark.parametrize("slug", ["", "Greve", "grève", "greve kommune", "-greve", "greve-",
                                  "g_reve", "x" * 65])
def test_it_refuses_a_bad_slug_and_changes_nothing(admin_client, db, slug):
    before = count(db, Municipality)
    response = admin_client.post_form("/admin/municipalities/new", {"slug": slug, "name": "G"})
    assert response.status_code == 422
    assert 'id="f-slug-error"' in page(response)
    assert count(db, Municipality) == before


def test_it_refuses_a_slug_that_is_taken(admin_client, db):
    before = count(db, Municipality)
    response = admin_client.post_form("/admin/municipalities/new",
                                      {"slug": "koge", "name": "Køge igen"})
    assert response.status_code == 422
    assert "koge" in page(response)
    assert count(db, Municipality) == before


def test_it_renames_a_municipality_but_keeps_its_slug(admin_client, db):
    (koge,) = ids(db, Municipality, "koge")
    response = admin_client.post_form(f"/admin/municipalities/{koge}",
                                      {"slug": "new-slug", "name": "Køge Kommune"})
    assert response.status_code == 302
    muni = find(db, Municipality, id=koge)
    assert (muni.slug, muni.name) == ("koge", "Køge Kommune")
    assert audit_details(db, "municipality.updated")["changed"] == ["name"]


def test_it_refuses_an_empty_municipality_name(admin_client, db):
    (koge,) = ids(db, Municipality, "koge")
    response = admin_client.post_form(f"/admin/municipalities/{koge}", {"name": "  "})
    assert response.status_code == 422
    assert find(db, Municipality, id=koge).name == "Køge"


def test_it_deactivates_and_reactivates_a_municipality(admin_client, db):
    (koge,) = ids(db, Municipality, "koge")
    admin_client.post_form(f"/admin/municipalities/{koge}/active", {"active": "0"})
    assert find(db, Municipality, id=koge).active is False
    admin_client.post_form(f"/admin/municipalities/{koge}/active", {"active": "1"})
    assert find(db, Municipality, id=koge).active is True
    assert actions(db) == ["municipality.deactivated", "municipality.reactivated"]


def test_it_refuses_an_activation_switch_without_a_state(admin_client, db):
    (koge,) = ids(db, Municipality, "koge")
    response = admin_client.post_form(f"/admin/municipalities/{koge}/active")
    assert response.status_code == 400
    assert find(db, Municipality, id=koge).active is True


# -- initiatives ----------------------------------------------------------------------------


def initiative_form(**changes: Any) -> dict[str, Any]:
    form = {"slug": "heritage", "name": "Kulturarvsindsatsen", "name_en": "Heritage",
            "subtitle": "", "home_municipality": ""}
    form.update(changes)
    return form


def test_it_adds_an_initiative_with_a_home_municipality(admin_client, db):
    (koge,) = ids(db, Municipality, "koge")
    response = admin_client.post_form("/admin/initiatives/new",
                                      initiative_form(home_municipality=str(koge)))
    assert response.status_code == 302
    ini = find(db, Initiative, slug="heritage")
    assert (ini.name_en, ini.home_municipality_id) == ("Heritage", koge)
    assert "initiative.created" in actions(db)


@pytest.mark.parametrize("home", ["999999", "koge", "-1"])
def test_it_refuses_an_unknown_home_municipality(admin_client, db, home):
    before = count(db, Initiative)
    response = admin_client.post_form("/admin/initiatives/new",
                                      initiative_form(home_municipality=home))
    assert response.status_code == 422
    assert 'id="f-home_municipality-error"' in page(response)
    assert count(db, Initiative) == before


def test_it_edits_an_initiative_but_keeps_its_slug(admin_client, db):
    (music,) = ids(db, Initiative, "music")
    form = initiative_form(slug="tunes", name="Musik", subtitle="Lyd i byen")
    assert admin_client.post_form(f"/admin/initiatives/{music}", form).status_code == 302
    ini = find(db, Initiative, id=music)
    assert (ini.slug, ini.name, ini.subtitle, ini.home_municipality_id) == (
        "music", "Musik", "Lyd i byen", None)
    assert audit_details(db, "initiative.updated")["changed"] == [
        "name", "name_en", "subtitle", "home_municipality"]


def test_it_deactivates_an_initiative(admin_client, db):
    (music,) = ids(db, Initiative, "music")
    admin_client.post_form(f"/admin/initiatives/{music}/active", {"active": "0"})
    assert find(db, Initiative, id=music).active is False
    assert actions(db) == ["initiative.deactivated"]


# -- approvers ------------------------------------------------------------------------------


def add_approver(db: Session, name: str, slug: str = "koge", **kw: Any) -> Approver:
    (muni_id,) = ids(db, Municipality, slug)
    approver = Approver(name=name, email=f"{name.lower()}@example.org",
                        municipality_id=muni_id, **kw)
    db.add(approver)
    db.commit()
    return approver


def approver_form(db: Session, **changes: Any) -> dict[str, Any]:
    (koge,) = ids(db, Municipality, "koge")
    form = {"name": "Anne Formand", "email": "anne@koge.dk", "municipality": str(koge),
            "role": "chair", "deputy_of": "", "locale": "da", "active": "1"}
    form.update(changes)
    return form


def test_it_adds_an_approver(admin_client, db):
    response = admin_client.post_form("/admin/approvers/new", approver_form(db, away="1"))
    assert response.status_code == 302
    approver = find(db, Approver, email="anne@koge.dk")
    assert (approver.role, approver.away, approver.active) == ("chair", True, True)
    assert "approver.created" in actions(db)


@pytest.mark.parametrize("email", ["", "anne", "anne@", "anne@koge", "an ne@koge.dk",
                                   "<anne@koge.dk>", "anne@@koge.dk"])
def test_it_refuses_a_bad_approver_email(admin_client, db, email):
    response = admin_client.post_form("/admin/approvers/new", approver_form(db, email=email))
    assert response.status_code == 422
    assert 'id="f-email-error"' in page(response)
    assert count(db, Approver) == 0


@pytest.mark.parametrize("muni", ["", "999999", "koge"])
def test_it_refuses_an_approver_without_a_real_municipality(admin_client, db, muni):
    form = approver_form(db, municipality=muni)
    response = admin_client.post_form("/admin/approvers/new", form)
    assert response.status_code == 422
    assert count(db, Approver) == 0


def test_it_sets_a_deputy_in_the_same_municipality(admin_client, db):
    chair = add_approver(db, "Chair")
    deputy = add_approver(db, "Deputy", role="deputy")
    form = approver_form(db, name="Deputy", email="d@koge.dk", role="deputy",
                         deputy_of=str(chair.id))
    assert admin_client.post_form(f"/admin/approvers/{deputy.id}", form).status_code == 302
    assert find(db, Approver, id=deputy.id).deputy_of_id == chair.id


def test_it_refuses_a_circle_of_deputies(admin_client, db):
    first = add_approver(db, "First")
    second = add_approver(db, "Second", deputy_of_id=first.id)
    form = approver_form(db, name="First", deputy_of=str(second.id))
    response = admin_client.post_form(f"/admin/approvers/{first.id}", form)
    assert response.status_code == 422
    assert 'id="f-deputy_of-error"' in page(response)
    assert find(db, Approver, id=first.id).deputy_of_id is None


def test_it_refuses_an_approver_as_their_own_deputy(admin_client, db):
    first = add_approver(db, "First")
    form = approver_form(db, name="First", deputy_of=str(first.id))
    response = admin_client.post_form(f"/admin/approvers/{first.id}", form)
    assert response.status_code == 422
    assert find(db, Approver, id=first.id).deputy_of_id is None


def test_it_refuses_a_deputy_from_another_municipality(admin_client, db):
    chair = add_approver(db, "Chair", slug="roskilde")
    response = admin_client.post_form("/admin/approvers/new",
                                      approver_form(db, deputy_of=str(chair.id)))
    assert response.status_code == 422
    assert count(db, Approver) == 1


def test_it_refuses_moving_an_approver_away_from_their_deputies(admin_client, db):
    chair = add_approver(db, "Chair")
    add_approver(db, "Deputy", deputy_of_id=chair.id)
    (roskilde,) = ids(db, Municipality, "roskilde")
    form = approver_form(db, name="Chair", municipality=str(roskilde))
    response = admin_client.post_form(f"/admin/approvers/{chair.id}", form)
    assert response.status_code == 422
    assert "Deputy" in page(response)
    assert find(db, Approver, id=chair.id).municipality_id != roskilde


def test_it_lists_the_approvers_of_one_municipality(admin_client, db):
    add_approver(db, "Kogeperson")
    add_approver(db, "Roskildeperson", slug="roskilde")
    (koge,) = ids(db, Municipality, "koge")
    body = page(admin_client.get(f"/admin/approvers?municipality={koge}"))
    assert "Kogeperson" in body and "Roskildeperson" not in body


@pytest.mark.parametrize("value", ["abc", "999999"])
def test_it_explains_an_unknown_municipality_filter(admin_client, value):
    response = admin_client.get(f"/admin/approvers?municipality={value}")
    assert response.status_code == 400
    assert 'role="alert"' in page(response)


# -- channel accounts -----------------------------------------------------------------------


def account_form(**changes: Any) -> dict[str, Any]:
    form = {"platform": "facebook", "external_id": "123456", "name": "Køge Kulturside",
            "municipality": "", "credentials_env": "koge_facebook"}
    form.update(changes)
    return form


def test_it_adds_a_channel_account_with_an_upper_case_prefix(admin_client, db):
    response = admin_client.post_form("/admin/accounts/new", account_form())
    assert response.status_code == 302
    account = find(db, ChannelAccount, external_id="123456")
    assert (account.platform, account.credentials_env) == ("facebook", "KOGE_FACEBOOK")
    assert account.municipality_id is None
    assert "account.created" in actions(db)


@pytest.mark.parametrize("changes", [
    {"platform": "myspace"},
    {"external_id": ""},
    {"name": ""},
    {"credentials_env": "KOGE-FACEBOOK"},
    {"credentials_env": "KOGE__FB"},
    {"municipality": "999999"},
])
def test_it_refuses_a_bad_channel_account(admin_client, db, changes):
    before = count(db, ChannelAccount)
    response = admin_client.post_form("/admin/accounts/new", account_form(**changes))
    assert response.status_code == 422
    assert count(db, ChannelAccount) == before


def test_it_refuses_a_second_account_with_the_same_platform_id(admin_client, db):
    existing = find(db, ChannelAccount, platform="facebook")
    before = count(db, ChannelAccount)
    form = account_form(external_id=existing.external_id)
    response = admin_client.post_form("/admin/accounts/new", form)
    assert response.status_code == 422
    assert existing.external_id in page(response)
    assert count(db, ChannelAccount) == before


def test_it_edits_a_channel_account(admin_client, db):
    existing = find(db, ChannelAccount, platform="facebook")
    (koge,) = ids(db, Municipality, "koge")
    form = account_form(external_id=existing.external_id, municipality=str(koge))
    assert admin_client.post_form(f"/admin/accounts/{existing.id}", form).status_code == 302
    account = find(db, ChannelAccount, id=existing.id)
    assert (account.name, account.municipality_id) == ("Køge Kulturside", koge)
    assert "account.updated" in actions(db)


def test_it_shows_which_credentials_are_present_but_never_their_values(
    admin_client, db, monkeypatch
):
    monkeypatch.setenv("PUBLISHER_CRED_KOGE_FACEBOOK_ACCESS_TOKEN", "s3cr3t-value-123")
    admin_client.post_form("/admin/accounts/new", account_form())
    account = find(db, ChannelAccount, external_id="123456")
    for url in ("/admin/accounts", f"/admin/accounts/{account.id}"):
        body = page(admin_client.get(url))
        assert "access_token" in body
        assert "s3cr3t-value-123" not in body


def test_it_deactivates_a_channel_account(admin_client, db):
    existing = find(db, ChannelAccount, platform="facebook")
    admin_client.post_form(f"/admin/accounts/{existing.id}/active", {"active": "0"})
    assert find(db, ChannelAccount, id=existing.id).active is False
    assert actions(db) == ["account.deactivated"]


def test_it_names_the_credential_variables_in_plain_text(admin_client):
    body = page(admin_client.get("/admin/accounts"))
    assert "PUBLISHER_CRED_&lt;PREFIX&gt;_&lt;KEY&gt;" in body
