"""Engine and sessions: one engine per app, one session per request (or per CLI command)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, g
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def private_file(path: Path, *, create: bool = True) -> None:
    """Make `path` readable by its owner only (0600), creating it empty if asked and missing.

    The database holds password hashes and approval state: no other account on the machine
    reads it. A file owned by someone else is left alone."""
    try:
        if create and not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        if path.exists() and path.stat().st_uid == os.getuid():
            path.chmod(0o600)
    except OSError:
        pass  # not ours to change; SQLite reports a real problem when it opens the file


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        path = engine.url.database
        if path and path != ":memory:" and not path.startswith("file:"):
            private_file(Path(path))

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy own transactions (pysqlite's own BEGIN handling is off).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            if path and path != ":memory:" and not path.startswith("file:"):
                for suffix in ("", "-wal", "-shm"):  # WAL files hold the same data
                    private_file(Path(path + suffix), create=False)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front, so two writers queue instead of failing
            # half-way with "database is locked".
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def init_app(app: Flask, engine: Engine) -> None:
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """The request's (or app context's) session, created on first use."""
    if "db_session" not in g:
        from flask import current_app

        g.db_session = current_app.extensions["db_sessionmaker"]()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
