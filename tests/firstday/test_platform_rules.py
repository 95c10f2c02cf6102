"""Platform rules before approval: the adapters' own validate() stops sending for approval when
a platform would refuse the post, naming the channel and the rule, through the form and the API;
warnings do not block; nothing is saved half-way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.firstday.helpers import arrange, local, state

LONG = "ord " * 628  # 2,512 characters: over Instagram's 2,200


def submit_form(client, draft_id):
    return client.post_form(f"/drafts/{draft_id}/transition", {"action": "submit"})


def submit_api(api, draft_id):
    return api.post(f"/drafts/{draft_id}/transitions", json={"action": "submit"})


CASES = {
    # case → (draft fields, channel named, rule, words the fix contains)
    "instagram_over_limit": (
        {"variants": {"instagram": LONG.strip()}},
        "instagram",
        "text_too_long",
        "Forkort teksten til Instagram med 311 tegn",
    ),
    "instagram_without_image": (
        {"image": False},
        "instagram",
        "image_required",
        "Tilføj et billede",
    ),
    "x_without_account": (
        {"channels": ["facebook", "x"]},
        "x",
        "no_account",
        "Der er ingen aktiv konto til X",
    ),
    "past_time": ({"ahead": timedelta(hours=-1)}, "", "time_passed", "Udgiv nu"),
}


@pytest.mark.parametrize("case", CASES)
def test_sending_for_approval_by_the_form_is_refused_naming_channel_and_rule(
    admin_client, db, chairs, case
):
    fields, _channel, _rule, words = CASES[case]
    draft_id = arrange(db, **fields)
    before = state(db, draft_id)
    response = submit_form(admin_client, draft_id)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert state(db, draft_id) == before  # nothing saved half-way: no status, request or event


@pytest.mark.parametrize("case", CASES)
def test_sending_for_approval_by_the_api_is_refused_with_a_422_naming_channel_and_rule(
    admin_api, db, chairs, case
):
    fields, channel, rule, words = CASES[case]
    draft_id = arrange(db, **fields)
    before = state(db, draft_id)
    response = submit_api(admin_api, draft_id)
    assert response.status_code == 422
    body = response.get_json()
    assert {"channel": channel, "rule": rule} in [
        {"channel": p["channel"], "rule": p["rule"]} for p in body["problems"]
    ]
    assert words in " ".join(p["message"] for p in body["problems"])
    assert state(db, draft_id) == before


def test_a_draft_every_platform_accepts_is_sent_for_approval(admin_client, db, chairs):
    draft_id = arrange(db)
    assert submit_form(admin_client, draft_id).status_code == 302
    assert state(db, draft_id)[0] == "in_review"


def test_a_warning_shows_but_does_not_stop_sending_for_approval(admin_client, db, chairs):
    tags = " ".join(f"#tag{i}" for i in range(8))  # over the house limit of 5, under 30
    draft_id = arrange(db, variants={"instagram": f"Koncert i parken {tags}"})
    page = admin_client.get(f"/drafts/{draft_id}").get_data(as_text=True)
    assert 'data-rule="hashtags_over_house_limit"' in page
    assert submit_form(admin_client, draft_id).status_code == 302
    assert state(db, draft_id)[0] == "in_review"


def test_the_approvals_page_send_button_is_refused_the_same_way(admin_client, db, chairs):
    draft_id = arrange(db, channels=["facebook", "x"])
    before = state(db, draft_id)
    response = admin_client.post_form(f"/drafts/{draft_id}/approvals/send")
    assert response.status_code == 422
    assert "Der er ingen aktiv konto til X" in response.get_data(as_text=True)
    assert state(db, draft_id) == before


def test_compose_shows_each_channels_problem_next_to_its_preview(admin_client, db):
    response = admin_client.post_form(
        "/drafts/new",
        {
            "kind": "post",
            "title": "Koncert",
            "body": "Tekst",
            "initiative": "music",
            "municipalities": ["roskilde"],
            "channels": ["facebook", "instagram", "x"],
            "variant_instagram": LONG,
            "action": "preview",
        },
    )
    page = response.get_data(as_text=True)
    instagram = page[page.index('data-checks="instagram"') :]
    instagram = instagram[: instagram.index("</div>")]
    assert "Forkort teksten til Instagram med 311 tegn" in instagram
    assert 'data-rule="image_required"' in instagram
    x = page[page.index('data-checks="x"') :]
    assert "Der er ingen aktiv konto til X" in x[: x.index("</div>")]


def test_compose_says_which_approval_deadline_applies(admin_client, db):
    from datetime import UTC, datetime

    response = admin_client.post_form(
        "/drafts/new",
        {
            "kind": "post",
            "title": "Koncert",
            "body": "Tekst",
            "initiative": "music",
            "municipalities": ["roskilde"],
            "channels": ["facebook"],
            "desired_at": local(datetime.now(UTC) + timedelta(hours=2)),
            "action": "preview",
        },
    )
    page = response.get_data(as_text=True)
    note = page[page.index('id="deadline-note"') :]
    assert "skal godkenderne svare senest" in note[: note.index("</p>")]
