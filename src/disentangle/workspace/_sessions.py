"""Web sign-ins: server-side sessions that expire and that logout revokes, throttled logins, the form key.

A session belongs to a principal (today the holder of the server's access token; a user account later).
The browser holds only a random session id; the database keeps its sha256, so a copy of the database
opens no session. Every worker process reads the same tables, so a logout on one is a logout on all.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, func, select

from disentangle.errors import StoreConflictError
from disentangle.registry import tables as t
from disentangle.workspace._base import WorkspaceBase

SESSION_LIFETIME = timedelta(hours=12)  # a sign-in lasts a working day, then the login form asks again
LOGIN_WINDOW = timedelta(minutes=5)  # failures count for this long
LOGIN_FAILURES_PER_CLIENT = 5  # failures from one address in the window before it must wait
LOGIN_FAILURES_OVERALL = 50  # failures from all addresses in the window before everyone must wait
CSRF_KEY = "csrf"


@dataclass(frozen=True, slots=True)
class WebSession:
    """A live sign-in: whose it is and until when."""

    id_hash: str  # sha256 of the id the browser holds
    principal: str
    created_at: datetime
    expires_at: datetime


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8", "replace")).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite gives naive UTC


class SessionsMixin(WorkspaceBase):
    """Sessions, login throttling and the server-side key of the web app's forms."""

    def web_key(self, name: str = CSRF_KEY) -> bytes:
        """A secret kept in the database, made on first use and the same for every worker process."""
        k = t.web_keys

        def load(connection: Connection) -> str | None:
            found: str | None = connection.scalar(select(k.c.value).where(k.c.name == name))
            return found

        with self.store.read() as connection:
            value = load(connection)
        if value is None:
            try:
                with self.store.transaction() as connection:
                    connection.execute(
                        k.insert().values(
                            name=name, value=secrets.token_hex(32), created_at=datetime.now(UTC)
                        )
                    )
            except StoreConflictError:
                pass  # another worker made it first: theirs is the key
            with self.store.read() as connection:
                value = load(connection)
        assert value is not None
        return bytes.fromhex(value)

    def open_session(
        self, principal: str, *, client: str | None = None, lifetime: timedelta = SESSION_LIFETIME
    ) -> tuple[str, WebSession]:
        """A new session for `principal`: (the id to give the browser, the session)."""
        session_id = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        session = WebSession(_hash(session_id), principal, now, now + lifetime)
        s = t.web_sessions

        def write(connection: Connection) -> None:
            connection.execute(delete(s).where(s.c.expires_at < now - timedelta(days=1)))
            connection.execute(
                s.insert().values(
                    id_hash=session.id_hash,
                    principal=principal,
                    created_at=now,
                    expires_at=session.expires_at,
                    client=(client or "")[:100] or None,
                )
            )

        self.store.retrying(write, patience=10.0)
        return session_id, session

    def web_session(self, session_id: str) -> WebSession | None:
        """The live session of this id, or None (unknown, expired, or revoked by a logout)."""
        if not session_id or len(session_id) > 200:
            return None
        s = t.web_sessions
        with self.store.read() as connection:
            row = connection.execute(select(s).where(s.c.id_hash == _hash(session_id))).first()
        if row is None or row.revoked_at is not None:
            return None
        expires = _aware(row.expires_at)
        if expires <= datetime.now(UTC):
            return None
        return WebSession(row.id_hash, row.principal, _aware(row.created_at), expires)

    def revoke_session(self, session_id: str) -> bool:
        """End a session now (logout); True when there was a live one."""
        s = t.web_sessions
        now = datetime.now(UTC)

        def write(connection: Connection) -> int:
            done = connection.execute(
                s.update()
                .where(s.c.id_hash == _hash(session_id), s.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return int(done.rowcount or 0)

        return self.store.retrying(write, patience=10.0) > 0

    def revoke_sessions(self, principal: str) -> int:
        """End every session of a principal (its password or token changed); how many were live."""
        s = t.web_sessions
        now = datetime.now(UTC)

        def write(connection: Connection) -> int:
            done = connection.execute(
                s.update().where(s.c.principal == principal, s.c.revoked_at.is_(None)).values(revoked_at=now)
            )
            return int(done.rowcount or 0)

        return self.store.retrying(write, patience=10.0)

    # ------------------------------------------------------------------ login throttling

    def login_wait(self, client: str) -> int:
        """Seconds before `client` may try to sign in again (0: now). Too many failures from one address,
        or from all of them together, in the last LOGIN_WINDOW make everyone in that group wait."""
        f = t.web_login_failures
        since = datetime.now(UTC) - LOGIN_WINDOW
        with self.store.read() as connection:
            mine = connection.execute(
                select(func.count(), func.min(f.c.at)).where(f.c.client == client[:100], f.c.at >= since)
            ).one()
            overall = connection.execute(select(func.count(), func.min(f.c.at)).where(f.c.at >= since)).one()
        waits = [
            _aware(first) + LOGIN_WINDOW - datetime.now(UTC)
            for count, first, limit in (
                (mine[0], mine[1], LOGIN_FAILURES_PER_CLIENT),
                (overall[0], overall[1], LOGIN_FAILURES_OVERALL),
            )
            if count >= limit and first is not None
        ]
        return max((max(1, int(wait.total_seconds()) + 1) for wait in waits), default=0)

    def record_login_failure(self, client: str) -> None:
        f = t.web_login_failures
        now = datetime.now(UTC)

        def write(connection: Connection) -> None:
            connection.execute(delete(f).where(f.c.at < now - LOGIN_WINDOW))
            connection.execute(f.insert().values(client=client[:100], at=now))

        self.store.retrying(write, patience=10.0)

    def clear_login_failures(self, client: str) -> None:
        f = t.web_login_failures
        self.store.retrying(lambda c: c.execute(delete(f).where(f.c.client == client[:100])), patience=10.0)
