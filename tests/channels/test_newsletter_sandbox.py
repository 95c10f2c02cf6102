"""The newsletter adapter with the real mailchimp-marketing client against the sandbox over HTTP."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import mailchimp_marketing
import pytest
from mailchimp_marketing.api_client import ApiClientError

from channels.base import (
    Account,
    Cause,
    ChannelError,
    ChannelSettings,
    ErrorKind,
    Post,
    Published,
)
from channels.newsletter import NewsletterAdapter, classify, subscriber_hash
from channels.sandbox.mailchimp_site import new_member, seed_audience

LIST_ID = "a1b2c3d4e5"
KEY = "0123456789abcdef0123456789abcdef-us6"
PEOPLE = {
    "anne@kulturby.dk": "roskilde",
    "bo@kulturby.dk": "roskilde",
    "carl@kulturby.dk": "koege",
    "dina@kulturby.dk": "koege",
    "emil@kulturby.dk": "ishoej",
    "frida@kulturby.dk": "ishoej",
    "gorm@kulturby.dk": "halsnaes",
    "hanne@kulturby.dk": "roskilde",
}


def make_adapter(
    sandbox: Any, timeout: float = 5.0, key: str = KEY, **options: Any
) -> NewsletterAdapter:
    account = Account(
        "newsletter",
        "Kulturmetropolen",
        LIST_ID,
        {"api_key": key},
        {"from_name": "Kulturmetropolen", "reply_to": "nyhedsbrev@kulturby.dk", **options},
    )
    settings = ChannelSettings(base_url=sandbox.url("mailchimp"), timeout=timeout)
    return NewsletterAdapter(account, settings)


def make_post(marker: str = "d21-newsletter-b2", **kwargs: Any) -> Post:
    fields: dict[str, Any] = {
        "text": "Sommerens koncerter er klar.\n\nSe hele programmet.",
        "title": "Sommer i Kulturmetropolen",
        "link": "https://kulturby.dk/sommer",
        "created_after": datetime.now(UTC) - timedelta(minutes=5),
    }
    fields.update(kwargs)
    return Post(marker=marker, **fields)


def subscribe_everyone(adapter: NewsletterAdapter) -> None:
    for email, municipality in PEOPLE.items():
        adapter.sync_member(email, municipality)


def campaigns(sandbox: Any) -> list[dict[str, Any]]:
    return list(sandbox.store.collection("mailchimp", "campaigns").values())


def let_time_pass(sandbox: Any, published: Published, seconds: float) -> None:
    campaign = sandbox.store.collection("mailchimp", "campaigns")[published.external_id]
    campaign["_sent_at"] -= timedelta(seconds=seconds)


def test_it_sends_a_campaign_now_with_the_accessible_template(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)
    post = make_post()

    published = adapter.publish(post)

    [campaign] = campaigns(sandbox)
    assert published.external_id == campaign["id"] == post.state["campaign_id"]
    assert campaign["status"] in ("sending", "sent") and campaign["_sends"] == 1
    assert campaign["emails_sent"] == len(PEOPLE)
    assert campaign["settings"]["title"].startswith("d21-newsletter-b2 | ")
    assert '<html lang="da"' in campaign["_html"] and "*|UNSUB|*" in campaign["_plain_text"]
    assert published.url == campaign["archive_url"]


def test_it_schedules_at_the_next_quarter_hour(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)
    wanted = (datetime.now(UTC) + timedelta(days=1)).replace(minute=7, second=30, microsecond=0)

    published = adapter.publish(make_post(scheduled_at=wanted))

    [campaign] = campaigns(sandbox)
    assert campaign["status"] == "schedule" == published.extra["status"]
    expected = wanted.replace(minute=15, second=0)
    assert datetime.fromisoformat(campaign["send_time"]) == expected
    assert campaign["_sends"] == 0


def test_the_sandbox_refuses_a_schedule_off_the_quarter_hour(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)
    post = make_post(scheduled_at=datetime.now(UTC) + timedelta(days=1))
    adapter.publish(post)
    client = mailchimp_marketing.Client()
    client.set_config({"api_key": KEY, "timeout": 5})
    client.api_client.host = sandbox.url("mailchimp")
    client.campaigns.unschedule(post.state["campaign_id"])
    off = (datetime.now(UTC) + timedelta(days=2)).replace(minute=7, second=0, microsecond=0)

    with pytest.raises(ApiClientError) as caught:
        client.campaigns.schedule(post.state["campaign_id"], {"schedule_time": off.isoformat()})

    assert caught.value.status_code == 400 and "quarter-hour" in caught.value.text
    error = classify(400, caught.value.text, write=True)
    assert (error.kind, error.reason) == (ErrorKind.PERMANENT, "invalid_content")


def test_a_scheduled_campaign_is_not_scheduled_again(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)
    post = make_post(scheduled_at=datetime.now(UTC) + timedelta(hours=3))
    first = adapter.publish(post)

    again = adapter.publish(post)

    assert again.external_id == first.external_id and again.extra["status"] == "schedule"
    assert len(campaigns(sandbox)) == 1


def test_a_create_that_timed_out_is_found_and_not_created_twice(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)
    sandbox.fault(platform="mailchimp", op="create", kind="accept_then_timeout", seconds=1.5,
                  remaining=1)  # fmt: skip
    post = make_post()

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox, timeout=0.5).publish(post)
    # An unsent campaign reaches nobody: retried soon, for free, and looked up by its title.
    assert (caught.value.kind, caught.value.costs_attempt) == (ErrorKind.RETRYABLE, False)
    assert "campaign_id" not in post.state and post.state["campaign_pending"] is True

    published = adapter.publish(post)
    [campaign] = campaigns(sandbox)
    assert published.external_id == campaign["id"]
    assert len(campaigns(sandbox)) == 1 and campaign["_sends"] == 1


def test_a_send_that_timed_out_is_found_and_never_sent_again(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)
    sandbox.fault(platform="mailchimp", op="send", kind="accept_then_timeout", seconds=1.5,
                  remaining=1)  # fmt: skip
    post = make_post()

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox, timeout=0.5).publish(post)
    assert caught.value.kind is ErrorKind.UNKNOWN

    found = adapter.find_existing(post)
    assert found is not None and found.external_id == post.state["campaign_id"]
    again = adapter.publish(post)  # even a careless second publish does not send again
    assert again.external_id == found.external_id
    [campaign] = campaigns(sandbox)
    assert campaign["_sends"] == 1


def test_a_dropped_connection_on_send_is_an_unknown_outcome(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)
    sandbox.fault(platform="mailchimp", op="send", kind="accept_then_drop", remaining=1)

    with pytest.raises(ChannelError) as caught:
        adapter.publish(make_post())

    assert caught.value.kind is ErrorKind.UNKNOWN
    assert campaigns(sandbox)[0]["_sends"] == 1


def test_it_resumes_from_a_remembered_campaign(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)
    sandbox.fault(platform="mailchimp", op="content", kind="error", code="500", remaining=1)
    post = make_post()
    with pytest.raises(ChannelError) as caught:
        adapter.publish(post)
    assert caught.value.kind is ErrorKind.RETRYABLE  # a PUT of the content is safe to repeat
    remembered: list[str] = []
    resumed = make_post(state=dict(post.state))
    resumed.checkpoint = lambda key, value: remembered.append(key)

    published = adapter.publish(resumed)

    assert published.external_id == post.state["campaign_id"]
    assert remembered == ["content_set"]
    assert len(campaigns(sandbox)) == 1 and campaigns(sandbox)[0]["_sends"] == 1


def test_it_says_surely_absent_when_no_campaign_carries_the_marker(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)
    adapter.publish(make_post("another-delivery"))

    assert adapter.find_existing(make_post()) is None


def test_it_segments_by_municipality(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)

    adapter.publish(make_post(segment_municipalities=["roskilde", "koege"]))

    [campaign] = campaigns(sandbox)
    segment = campaign["recipients"]["segment_opts"]
    assert segment["match"] == "any"
    assert {c["value"] for c in segment["conditions"]} == {"roskilde", "koege"}
    assert {c["field"] for c in segment["conditions"]} == {"KOMMUNE"}
    wanted = {e for e, m in PEOPLE.items() if m in ("roskilde", "koege")}
    assert set(campaign["_recipients"]) == wanted


def test_it_keeps_the_municipality_merge_field_in_sync(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)

    adapter.sync_member("Ida@Kulturby.dk", "herlev", name="Ida Marie Jensen")
    member_id = adapter.sync_member("ida@kulturby.dk", "furesoe")

    members = sandbox.store.collection("mailchimp", "members")
    assert list(members) == [f"{LIST_ID}/{subscriber_hash('ida@kulturby.dk')}"]
    [member] = members.values()
    assert member_id == member["id"] and member["status"] == "subscribed"
    assert member["merge_fields"]["KOMMUNE"] == "furesoe"
    assert (member["merge_fields"]["FNAME"], member["merge_fields"]["LNAME"]) == (
        "Ida",
        "Marie Jensen",
    )


def test_it_refuses_a_made_up_address_permanently(sandbox: Any) -> None:
    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).sync_member("john.doe@example.com", "roskilde")

    assert (caught.value.kind, caught.value.reason) == (ErrorKind.PERMANENT, "invalid_content")


def test_metrics_grow_and_split_by_municipality(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)
    published = adapter.publish(make_post())
    early = adapter.fetch_metrics(published)

    let_time_pass(sandbox, published, 2 * 3600)
    later = adapter.fetch_metrics(published)

    assert later.normalised["reach"] == len(PEOPLE)
    assert later.normalised["opens"] == round(0.55 * len(PEOPLE)) > early.normalised["opens"]
    assert later.normalised["clicks"] == round(0.25 * len(PEOPLE))
    assert later.normalised["views"] >= later.normalised["opens"] >= later.normalised["clicks"]
    assert set(later.per_segment) == set(PEOPLE.values())
    for key in ("opens", "clicks", "reach"):
        assert sum(s[key] for s in later.per_segment.values()) == later.normalised[key]
    assert later.per_segment["roskilde"]["reach"] == 3


def test_metrics_page_through_more_than_a_thousand_recipients(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    members = sandbox.store.collection("mailchimp", "members")
    for n in range(1203):
        email = f"borger{n}@kulturby.dk"
        member = new_member(LIST_ID, subscriber_hash(email), email)
        member["status"] = "subscribed"
        member["merge_fields"]["KOMMUNE"] = ("herlev", "ishoej", "koege")[n % 3]
        members[f"{LIST_ID}/{member['id']}"] = member
    published = adapter.publish(make_post())
    let_time_pass(sandbox, published, 2 * 3600)

    metrics = adapter.fetch_metrics(published)

    assert sum(s["reach"] for s in metrics.per_segment.values()) == 1203
    assert metrics.per_segment["herlev"]["reach"] == 401
    assert sum(s["opens"] for s in metrics.per_segment.values()) == metrics.normalised["opens"]


def test_metrics_before_sending_are_no_data_rather_than_zero(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)
    published = adapter.publish(make_post(scheduled_at=datetime.now(UTC) + timedelta(hours=2)))

    metrics = adapter.fetch_metrics(published)

    assert metrics.normalised == {}
    assert metrics.raw["note"] == "not sent yet"


def test_an_account_without_from_name_or_reply_to_fails_as_configuration_before_creating(
    sandbox: Any,
) -> None:
    subscribe_everyone(make_adapter(sandbox))
    adapter = make_adapter(sandbox, from_name="", reply_to="")

    with pytest.raises(ChannelError) as caught:
        adapter.publish(make_post())

    error = caught.value
    assert (error.kind, error.reason, error.cause) == (
        ErrorKind.PERMANENT, "sender_missing", Cause.CONFIGURATION)
    assert "from_name" in error.detail and "reply_to" in error.detail
    assert campaigns(sandbox) == []  # nothing left behind to clean up


def test_an_audience_without_subscribers_is_configuration_named_from_the_send_checklist(
    sandbox: Any,
) -> None:
    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).publish(make_post())

    error = caught.value
    assert (error.kind, error.reason, error.cause) == (
        ErrorKind.PERMANENT, "audience_empty", Cause.CONFIGURATION)
    assert "no subscribed contacts" in error.detail


def test_an_unverified_reply_to_domain_is_configuration_not_content(sandbox: Any) -> None:
    subscribe_everyone(make_adapter(sandbox))
    adapter = make_adapter(sandbox, reply_to="nyt@kulturby.example")

    with pytest.raises(ChannelError) as caught:
        adapter.publish(make_post())

    assert (caught.value.reason, caught.value.cause) == ("sender_unverified",
                                                         Cause.CONFIGURATION)


def test_it_segments_by_the_municipality_merge_field_when_the_account_says_so(
    sandbox: Any,
) -> None:
    subscribe_everyone(make_adapter(sandbox))
    adapter = make_adapter(sandbox, segment_by_municipality=True)

    adapter.publish(make_post(municipalities=["koege", "ishoej"]))

    [campaign] = campaigns(sandbox)
    assert campaign["emails_sent"] == 4  # carl, dina (koege), emil, frida (ishoej)


def test_the_demo_audience_has_subscribers_in_every_municipality_so_the_newsletter_sends(
    sandbox: Any,
) -> None:
    municipalities = ["albertslund", "fureso", "halsnaes", "helsingor", "herlev", "ishoj",
                      "koge", "roskilde", "rodovre"]  # fmt: skip
    seed_audience(sandbox.store, LIST_ID, "KOMMUNE", municipalities)
    adapter = make_adapter(sandbox, segment_by_municipality=True)

    assert "(27 subscribers)" in adapter.test_connection()
    for municipality in municipalities:
        post = make_post(marker=f"demo-{municipality}", municipalities=[municipality])
        published = adapter.publish(post)
        assert published.extra["status"] == "sending"
    assert [c["emails_sent"] for c in campaigns(sandbox)] == [3] * 9


def test_the_eleventh_simultaneous_request_is_refused_as_retryable(sandbox: Any) -> None:
    sandbox.fault(platform="mailchimp", op="read", kind="latency", seconds=0.6)
    # The limit is per user; a key of its own keeps other tests' stalled requests out of it.
    adapter = make_adapter(sandbox, key="fedcba9876543210-us6")
    subscribe_everyone(adapter)
    start = threading.Barrier(11)
    outcomes: list[str] = []

    def call() -> None:
        start.wait()
        try:
            adapter.test_connection()
            outcomes.append("ok")
        except ChannelError as exc:
            outcomes.append(f"{exc.kind.value}/{exc.reason}/{exc.retry_after}")

    threads = [threading.Thread(target=call) for _ in range(11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok"] * 10 + ["retryable/rate_limited/10.0"]


def test_it_marks_a_revoked_key_permanent(sandbox: Any) -> None:
    sandbox.fault(platform="mailchimp", kind="expired_token")

    with pytest.raises(ChannelError) as caught:
        make_adapter(sandbox).test_connection()

    assert (caught.value.kind, caught.value.reason) == (ErrorKind.PERMANENT, "token_invalid")


def test_it_tests_the_connection_by_reading_the_list(sandbox: Any) -> None:
    adapter = make_adapter(sandbox)
    subscribe_everyone(adapter)

    assert f"({len(PEOPLE)} subscribers)" in adapter.test_connection()
