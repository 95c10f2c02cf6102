"""Claiming due deliveries atomically, with a lease, so that no two workers run the same one.

SQLite: a conditional `UPDATE … WHERE id = :id AND status = :seen AND <still due>` per candidate,
checked by its row count; a row another worker took in between simply does not match.
PostgreSQL: the candidates are read with `FOR UPDATE SKIP LOCKED` (concurrent workers skip each
other's rows instead of queueing behind them) and updated in the same transaction.
Either way the claim is committed before any platform call is made.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from schedules.models import Delivery, DeliveryStatus

D = Delivery
SCHEDULED = DeliveryStatus.SCHEDULED.value
RUNNING = DeliveryStatus.RUNNING.value
UNCONFIRMED = DeliveryStatus.UNCONFIRMED.value


class Claim(NamedTuple):
    """A delivery this worker now holds: reconcile first when the platform may have it."""

    delivery_id: int
    needs_reconcile: bool
    account_id: int
    token: str


class Candidate(NamedTuple):
    delivery_id: int
    status: str
    account_id: int


def _retry_due(now: datetime) -> ColumnElement[bool]:
    return or_(D.next_attempt_at.is_(None), D.next_attempt_at <= now)


def due_condition(now: datetime) -> ColumnElement[bool]:
    """Claimable at `now`: due and not waiting for a retry, due to reconcile, or lease expired."""
    return or_(
        and_(D.status == SCHEDULED, D.due_at <= now, _retry_due(now)),
        and_(D.status == UNCONFIRMED, _retry_due(now)),
        and_(D.status == RUNNING, D.lease_until < now),  # the worker died mid-flight
    )


def effective_due() -> ColumnElement[datetime]:
    """When a delivery is next due: its retry time if it waits for one, else its due time.

    The order of claims, and (with status and id) the index `ix_delivery_status_effective_due`.
    """
    return func.coalesce(D.next_attempt_at, D.due_at)


def _due_by_status(now: datetime) -> list[ColumnElement[bool]]:
    """`due_condition`, one term per status, each able to walk the index in claim order.

    For `scheduled` the term adds `effective_due <= now`, which the other two imply, so that the
    index range ends at `now`.
    """
    return [
        and_(D.status == SCHEDULED, effective_due() <= now, D.due_at <= now, _retry_due(now)),
        and_(D.status == UNCONFIRMED, _retry_due(now)),
        and_(D.status == RUNNING, D.lease_until < now),
    ]


def find_due(
    session: Session, now: datetime, limit: int, *, skip_accounts: Iterable[int] = (),
    lock: bool = False,
) -> list[Candidate]:
    """Due deliveries, most overdue first; `lock` takes row locks skipping locked rows (PG).

    One query per status, each ordered by the (status, effective due, id) index so that it stops
    after `limit` rows instead of sorting the whole due backlog, then merged: the result is the
    same first `limit` rows in the same order as one query over `due_condition` would give.
    """
    skip = list(skip_accounts)
    rows: list[tuple[datetime, int, Candidate]] = []
    for condition in _due_by_status(now):
        query = (
            select(effective_due(), D.id, D.status, D.account_id)
            .where(condition)
            .order_by(effective_due(), D.id)
            .limit(limit)
        )
        if skip:
            query = query.where(D.account_id.not_in(skip))
        if lock:
            query = query.with_for_update(skip_locked=True)
        rows += [(due, id_, Candidate(id_, status, account))
                 for due, id_, status, account in session.execute(query)]
    rows.sort(key=lambda row: (row[0], row[1]))
    return [cand for _, _, cand in rows[:limit]]


def next_due(session: Session, now: datetime, until: datetime) -> datetime | None:
    """When the next first try comes due after `now` and no later than `until` (or None).

    One look at the (status, due_at) index; retries wait for their tick, first tries are what
    must go out on time.
    """
    return session.scalar(
        select(func.min(D.due_at))
        .where(D.status == SCHEDULED, D.next_attempt_at.is_(None), D.due_at > now,
               D.due_at <= until)
    )


def take(
    session: Session, candidate: Candidate, now: datetime, worker_id: str, token: str,
    lease_seconds: float,
) -> bool:
    """Claim one candidate if it is still as we saw it and still due; True when we got it."""
    result = session.execute(
        update(D)
        .where(D.id == candidate.delivery_id, D.status == candidate.status, due_condition(now))
        .values(
            status=RUNNING, claimed_by=worker_id, claim_token=token,
            claimed_from=candidate.status, lease_until=now + timedelta(seconds=lease_seconds),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _fair_share(
    candidates: list[Candidate], limit: int, capacity: Mapping[int, int] | None,
    default_capacity: int | None,
) -> list[Candidate]:
    """Pick at most `limit` candidates, and per account no more than its free capacity."""
    chosen: list[Candidate] = []
    used: dict[int, int] = {}
    for cand in candidates:
        free = (capacity or {}).get(cand.account_id, default_capacity)
        if free is not None and used.get(cand.account_id, 0) >= free:
            continue
        used[cand.account_id] = used.get(cand.account_id, 0) + 1
        chosen.append(cand)
        if len(chosen) >= limit:
            break
    return chosen


def take_due(
    session: Session, now: datetime, worker_id: str, limit: int, lease_seconds: float, *,
    capacity: Mapping[int, int] | None = None, default_capacity: int | None = None,
) -> list[Claim]:
    """Claim up to `limit` due deliveries in the session's transaction (the caller commits).

    `capacity` maps an account id to how many more of its deliveries this worker can run now;
    accounts not in it get `default_capacity` (None: no per-account limit).
    """
    if limit <= 0:
        return []
    full = [acc for acc, free in (capacity or {}).items() if free <= 0]
    if default_capacity is not None and default_capacity <= 0:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    # Over-read a little when some accounts have less room than others.
    window = limit if capacity is None and default_capacity is None else limit * 4
    candidates = find_due(session, now, window, skip_accounts=full, lock=postgres)
    token = secrets.token_hex(16)
    claims = []
    for cand in _fair_share(candidates, limit, capacity, default_capacity):
        if take(session, cand, now, worker_id, token, lease_seconds):
            reconcile = cand.status in (RUNNING, UNCONFIRMED)
            claims.append(Claim(cand.delivery_id, reconcile, cand.account_id, token))
    return claims


def claim_due(
    session: Session, now: datetime, worker_id: str, limit: int, lease_seconds: float, *,
    capacity: Mapping[int, int] | None = None, default_capacity: int | None = None,
) -> list[Claim]:
    """Claim up to `limit` due deliveries and commit, before any platform is called."""
    try:
        claims = take_due(session, now, worker_id, limit, lease_seconds, capacity=capacity,
                          default_capacity=default_capacity)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return claims


def renew_leases(
    session: Session, claims: Iterable[Claim], now: datetime, lease_seconds: float
) -> int:
    """Extend the leases of deliveries still in flight here; return how many were extended."""
    by_token: dict[str, list[int]] = {}
    for claim in claims:
        by_token.setdefault(claim.token, []).append(claim.delivery_id)
    renewed = 0
    for token, ids in by_token.items():
        result = session.execute(
            update(D)
            .where(D.id.in_(ids), D.claim_token == token, D.status == RUNNING)
            .values(lease_until=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        )
        renewed += result.rowcount  # type: ignore[attr-defined]
    session.commit()
    return renewed


def release(session: Session, claims: Iterable[Claim], now: datetime) -> int:
    """Give back claims that were never started: each returns to where it was (and commits).

    A delivery claimed from `running` (its earlier worker died) goes back as `unconfirmed`,
    which means the same thing without a lease: reconcile before anything is sent.
    """
    released = 0
    for claim in claims:
        row = session.execute(
            select(D.claimed_from).where(D.id == claim.delivery_id)
        ).scalar_one_or_none()
        back = SCHEDULED if row == SCHEDULED else UNCONFIRMED
        values: dict[str, object] = {
            "status": back, "claimed_by": "", "claim_token": "", "lease_until": None,
            "updated_at": now,
        }
        if back == UNCONFIRMED:
            values["next_attempt_at"] = now
        result = session.execute(
            update(D)
            .where(D.id == claim.delivery_id, D.claim_token == claim.token, D.status == RUNNING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        released += result.rowcount  # type: ignore[attr-defined]
    session.commit()
    return released
