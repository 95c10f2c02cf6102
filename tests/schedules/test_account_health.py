"""An account is marked failing on evidence: repeated permanent account errors, not one answer.

The newsletter adapter talks to the sandbox's Mailchimp over HTTP; the sandbox answers with a
proxy's titled 503 or with Mailchimp's compliance 503 (the account is restricted).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from channels.sandbox.mailchimp_site import seed_audience
from drafts.models import ChannelAccount
from publisher.config import load_settings
from publisher.flows.accounts import adapter_factory
from schedules.dispatcher import Dispatch, run_delivery
from schedules.outbox import schedule_draft
from tests.schedules.helpers import account, approved_draft, claim_one, reload

LIST_ID = "a1b2c3d4e5"
OPTIONS = {"from_name": "Kulturmetropolen", "reply_to": "nyt@kulturby.dk"}


@pytest.fixture
def newsletter(session, sandbox):
    seed_audience(sandbox.store, LIST_ID, "KOMMUNE", ["roskilde"])
    acc = account(session, "newsletter", LIST_ID, options=dict(OPTIONS))
    acc.credentials_env = "MC"
    session.commit()
    return acc


@pytest.fixture
def real_dispatch(sessions, settings, notes, clock, sandbox):
    service = load_settings(env={}, overrides={
        "secret_key": "s" * 32, "channel_timeout": 2.0,
        "mailchimp_api_url": sandbox.url("mailchimp")})
    factory = adapter_factory(service,
                              lambda _env: {"api_key": "0123456789abcdef0123456789abcdef-us6"})
    return Dispatch(sessions, factory, settings, notes, "w-test", clock)


def schedule_newsletters(session, acc, clock, n):
    """n newsletters due a second apart, so each run claims exactly the next one."""
    ids = []
    for i in range(n):
        draft = approved_draft(session, title=f"Nyhedsbrev {i}", channels=["newsletter"])
        due = clock.now + timedelta(seconds=i)
        [delivery] = schedule_draft(session, draft, [acc], clock.now, due_at=due)
        ids.append(delivery.id)
    session.commit()
    return ids


def next_run(session, dispatch, clock):
    outcome = run_delivery(dispatch, claim_one(session, clock.now))
    clock.advance(1)
    return outcome


def health(sessions, account_id):
    with sessions() as s:
        return s.get(ChannelAccount, account_id).health


def test_a_single_titled_503_does_not_mark_the_account_failing(
    session,
    sessions,
    sandbox,
    newsletter,
    real_dispatch,
    clock,
):
    sandbox.fault(
        platform="mailchimp", op="create", kind="error", code="ServiceUnavailable", remaining=1
    )
    [delivery_id] = schedule_newsletters(session, newsletter, clock, 1)

    outcome = next_run(session, real_dispatch, clock)

    # Nothing was sent yet (an unsent campaign reaches nobody): tried again soon, for free.
    assert outcome == "retry"
    retried = reload(sessions, delivery_id)
    assert (retried.status, retried.attempts, retried.last_error) == (
        "scheduled", 0, "platform_unavailable")
    assert health(sessions, newsletter.id) == "unknown"
    clock.advance(60)
    assert next_run(session, real_dispatch, clock) == "published"


def test_three_restricted_account_answers_in_a_row_mark_the_account_failing(
    session,
    sessions,
    sandbox,
    newsletter,
    real_dispatch,
    clock,
):
    sandbox.fault(platform="mailchimp", op="create", kind="error", code="ComplianceRelated")
    ids = schedule_newsletters(session, newsletter, clock, 3)
    seen = []
    for _ in ids:
        assert next_run(session, real_dispatch, clock) == "failed"
        seen.append(health(sessions, newsletter.id))

    assert seen == ["unknown", "unknown", "failing"]
    assert {reload(sessions, i).last_error for i in ids} == {"account_restricted"}


def test_a_success_between_account_errors_breaks_the_run(
    session,
    sessions,
    sandbox,
    newsletter,
    real_dispatch,
    clock,
):
    sandbox.fault(
        platform="mailchimp", op="create", kind="error", code="ComplianceRelated", remaining=2
    )
    schedule_newsletters(session, newsletter, clock, 4)
    outcomes = [next_run(session, real_dispatch, clock) for _ in range(3)]
    sandbox.fault(
        platform="mailchimp", op="create", kind="error", code="ComplianceRelated", remaining=1
    )
    outcomes.append(next_run(session, real_dispatch, clock))

    assert outcomes == ["failed", "failed", "published", "failed"]
    assert health(sessions, newsletter.id) == "unknown"
