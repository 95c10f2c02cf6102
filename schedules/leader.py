"""One leader among the workers for the once-per-cluster jobs.

PostgreSQL: `pg_try_advisory_lock` on a connection kept open for as long as we lead; if the
process dies the server drops the connection and with it the lock. SQLite (one host, usually one
worker): a `leader_lease` row with an expiry that the leader renews and anyone may take once it
has run out.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Connection, Engine, or_, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from schedules.models import LeaderLease

log = logging.getLogger(__name__)
LEADER_NAME = "publisher-worker"


class Leader(Protocol):
    def acquire(self, now: datetime) -> bool:
        """Become or stay leader; True while we are."""
        ...

    def release(self, now: datetime) -> None:
        """Stop leading so another worker can take over at once."""
        ...


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock from a name."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PostgresLeader:
    """Leadership is holding a session-level advisory lock on a dedicated connection."""

    def __init__(self, engine: Engine, name: str = LEADER_NAME) -> None:
        self.engine = engine
        self.key = advisory_key(name)
        self.conn: Connection | None = None

    def acquire(self, now: datetime) -> bool:
        if self.conn is not None:
            try:
                self.conn.execute(text("SELECT 1"))
                self.conn.commit()
                return True
            except DBAPIError:
                log.warning("leader connection lost; leadership lost with it")
                self._drop()
        conn = self.engine.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
        conn.commit()
        if got:
            self.conn = conn
        else:
            conn.close()
        return got

    def release(self, now: datetime) -> None:
        if self.conn is None:
            return
        try:
            self.conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
            self.conn.commit()
        except DBAPIError:
            pass
        self._drop()

    def _drop(self) -> None:
        # Close the DBAPI connection itself: a pooled connection would keep the session lock.
        if self.conn is not None:
            self.conn.invalidate()
            self.conn.close()
            self.conn = None


class SqliteLeader:
    """Leadership is a `leader_lease` row naming us with an expiry in the future."""

    def __init__(self, sessions: Callable[[], Session], holder: str, ttl: float,
                 name: str = LEADER_NAME) -> None:
        self.sessions = sessions
        self.holder = holder
        self.ttl = timedelta(seconds=ttl)
        self.name = name

    def acquire(self, now: datetime) -> bool:
        with self.sessions() as s:
            taken = s.execute(
                update(LeaderLease)
                .where(LeaderLease.name == self.name,
                       or_(LeaderLease.holder == self.holder, LeaderLease.until < now))
                .values(holder=self.holder, until=now + self.ttl)
                .execution_options(synchronize_session=False)
            ).rowcount  # type: ignore[attr-defined]
            if taken:
                s.commit()
                return True
            if s.get(LeaderLease, self.name) is not None:
                s.commit()
                return False
            s.add(LeaderLease(name=self.name, holder=self.holder, until=now + self.ttl))
            try:
                s.commit()
            except IntegrityError:
                return False
            return True

    def release(self, now: datetime) -> None:
        with self.sessions() as s:
            s.execute(
                update(LeaderLease)
                .where(LeaderLease.name == self.name, LeaderLease.holder == self.holder)
                .values(until=now)
                .execution_options(synchronize_session=False)
            )
            s.commit()


def make_leader(engine: Engine, sessions: Callable[[], Session], holder: str,
                ttl: float) -> Leader:
    """The election that suits the database behind `engine`."""
    if engine.dialect.name == "postgresql":
        return PostgresLeader(engine)
    return SqliteLeader(sessions, holder, ttl)
