"""Claims are atomic: whatever the interleaving, one delivery is held by one worker at a time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from schedules.claim import Candidate, claim_due, find_due, release, renew_leases, take, take_due
from schedules.models import Delivery
from schedules.outbox import schedule_draft
from tests.schedules.helpers import NOW, account, approved_draft, claim_one, scheduled


def test_only_due_deliveries_are_claimed(session):
    _, [due, later, waiting, unconfirmed, leased] = scheduled(session, n_accounts=5)
    later.due_at = NOW + timedelta(minutes=1)
    waiting.next_attempt_at = NOW + timedelta(seconds=30)  # backing off after an error
    unconfirmed.status, unconfirmed.next_attempt_at = "unconfirmed", NOW
    leased.status, leased.lease_until = "running", NOW + timedelta(seconds=1)  # still alive
    session.commit()

    claims = claim_due(session, NOW, "w1", 10, 300)

    assert sorted((c.delivery_id, c.needs_reconcile) for c in claims) == [
        (due.id, False), (unconfirmed.id, True)]
    session.expire_all()
    assert (due.status, due.claimed_by, due.claimed_from) == ("running", "w1", "scheduled")
    assert due.lease_until == NOW + timedelta(seconds=300)
    assert claim_due(session, NOW, "w2", 10, 300) == []


def test_due_work_of_every_status_is_found_most_overdue_first_and_cut_at_the_limit(session):
    # find_due reads one status at a time along the effective-due index and merges: the order
    # must still be the effective due time (a retry's next_attempt_at, else due_at), then id.
    _, [first_try, retry, unconfirmed, expired, newest] = scheduled(session, n_accounts=5)
    first_try.due_at = NOW - timedelta(minutes=3)
    retry.due_at, retry.next_attempt_at = NOW - timedelta(hours=1), NOW - timedelta(minutes=1)
    unconfirmed.status, unconfirmed.next_attempt_at = "unconfirmed", NOW - timedelta(minutes=2)
    expired.status, expired.due_at = "running", NOW - timedelta(minutes=4)
    expired.lease_until = NOW - timedelta(seconds=1)
    newest.due_at = NOW
    session.commit()

    found = [c.delivery_id for c in find_due(session, NOW, 10)]
    cut = [c.delivery_id for c in find_due(session, NOW, 3)]

    assert found == [expired.id, first_try.id, unconfirmed.id, retry.id, newest.id]
    assert cut == found[:3]


def test_a_running_delivery_whose_lease_expired_is_claimed_for_reconciliation(session):
    _, [delivery] = scheduled(session)
    first = claim_one(session, NOW, "w1", lease=60)
    assert first.needs_reconcile is False
    assert claim_due(session, NOW + timedelta(seconds=59), "w2", 10, 60) == []

    second = claim_one(session, NOW + timedelta(seconds=61), "w2")

    assert second.delivery_id == delivery.id and second.needs_reconcile is True
    assert second.token != first.token


def test_two_sessions_that_saw_the_same_delivery_cannot_both_claim_it(sessions, peek):
    with sessions() as s:
        _, [delivery] = scheduled(s)
        expected = Candidate(delivery.id, "scheduled", delivery.account_id)
    with peek() as a, peek() as b:  # both read the candidate before either writes
        [seen_a] = find_due(a, NOW, 10)
        [seen_b] = find_due(b, NOW, 10)
        a.rollback()
        b.rollback()
    assert seen_a == seen_b == expected
    with sessions() as a:
        assert take(a, seen_a, NOW, "w-a", "token-a", 300) is True
        a.commit()
    with sessions() as b:
        assert take(b, seen_b, NOW, "w-b", "token-b", 300) is False  # rowcount 0
        b.commit()
    with sessions() as s:
        assert s.get(Delivery, expected.delivery_id).claimed_by == "w-a"


@pytest.mark.postgresql_only
def test_on_postgresql_a_worker_skips_rows_another_is_claiming_instead_of_waiting(sessions):
    with sessions() as s:
        assert s.get_bind().dialect.name == "postgresql"
        _, deliveries = scheduled(s, n_accounts=3)
        all_ids = {d.id for d in deliveries}
    with sessions() as a, sessions() as b:
        claims_a = take_due(a, NOW, "w-a", 2, 300)  # rows locked, not yet committed
        claims_b = take_due(b, NOW, "w-b", 10, 300)  # returns at once with what is left
        b.commit()
        a.commit()
    ids_a = {c.delivery_id for c in claims_a}
    ids_b = {c.delivery_id for c in claims_b}
    assert len(ids_a) == 2 and len(ids_b) == 1 and ids_a.isdisjoint(ids_b)
    assert ids_a | ids_b == all_ids


def test_many_workers_claiming_at_once_never_claim_a_delivery_twice(sessions):
    with sessions() as s:
        for _ in range(6):
            scheduled(s, n_accounts=5)
    claimed: list[tuple[str, list[int]]] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def worker(name: str) -> None:
        try:
            start.wait()
            mine: list[int] = []
            with sessions() as s:
                while batch := claim_due(s, NOW, name, 3, 300):
                    mine += [c.delivery_id for c in batch]
            claimed.append((name, mine))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    everything = [i for _, mine in claimed for i in mine]
    assert len(everything) == len(set(everything)) == 30
    with sessions() as s:
        owners = dict(s.execute(select(Delivery.id, Delivery.claimed_by)).all())
    assert owners == {d: name for name, mine in claimed for d in mine}


def test_a_claim_takes_no_more_than_each_account_has_room_for(session):
    first = account(session, "x", "1700000000000000091")
    second = account(session, "x", "1700000000000000092")
    for acc in (first, second):
        for _ in range(3):
            scheduled_for(session, acc)

    claims = claim_due(session, NOW, "w1", 10, 300, capacity={first.id: 1, second.id: 0},
                       default_capacity=2)

    assert [c.account_id for c in claims] == [first.id]
    more = claim_due(session, NOW, "w1", 10, 300, capacity={}, default_capacity=2)
    assert sorted(c.account_id for c in more) == sorted([first.id] * 2 + [second.id] * 2)


def scheduled_for(session, acc):
    schedule_draft(session, approved_draft(session), [acc], NOW)
    session.commit()


def test_released_claims_go_back_to_where_they_were(session):
    _, [fresh, crashed] = scheduled(session, n_accounts=2)
    crashed.status, crashed.lease_until = "running", NOW - timedelta(seconds=1)
    session.commit()
    claims = claim_due(session, NOW, "w1", 10, 300)

    assert release(session, claims, NOW) == 2

    session.expire_all()
    assert (fresh.status, fresh.claimed_by, fresh.lease_until) == ("scheduled", "", None)
    assert crashed.status == "unconfirmed"  # still has to be reconciled
    assert {c.delivery_id for c in claim_due(session, NOW, "w2", 10, 300)} == {
        fresh.id, crashed.id}


def test_renewing_extends_only_leases_this_claim_still_holds(session):
    _, [mine, stolen] = scheduled(session, n_accounts=2)
    claims = claim_due(session, NOW, "w1", 10, 60)
    stolen.claim_token = "someone-else"
    session.commit()

    assert renew_leases(session, claims, NOW + timedelta(seconds=30), 60) == 1

    session.expire_all()
    assert mine.lease_until == NOW + timedelta(seconds=90)
    assert stolen.lease_until == NOW + timedelta(seconds=60)
