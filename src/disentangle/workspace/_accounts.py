"""People and their work: organisations, users with roles, API tokens, who holds what, and the audit log.

A workspace without users is one person's, as on a laptop: everything is theirs and nothing is asked.
As soon as one user exists, every document, records request, campaign and ingestion job brought in
through the web app belongs to an organisation, private to it until an editor or admin of it publishes
it (DocumentCloud's three levels: private, organisation, public), and every change is written to an
audit log the database itself refuses to change or delete.

Who is looking is a context variable (`acting_as`): the web app sets it per request; the command line,
run by the operator who holds the database, sees everything.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Connection, func, select

from disentangle.errors import ForbiddenError, InputError, NotFoundError
from disentangle.registry import tables as t
from disentangle.workspace._base import WorkspaceBase

OPERATOR = "operator"  # the actor of changes made on the command line (who holds the database)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$")


class Role(StrEnum):
    """What a user may do in their organisation."""

    VIEWER = "viewer"  # reads what the organisation holds and what is public; changes nothing
    EDITOR = "editor"  # also uploads, drafts requests, reviews fields, publishes the organisation's work
    ADMIN = "admin"  # also sees every member's private work


class Access(StrEnum):
    """Who may see a document, request, campaign or job (DocumentCloud's three levels)."""

    PRIVATE = "private"  # the user who brought it, and their organisation's admins
    ORGANISATION = "organisation"  # every member of the organisation
    PUBLIC = "public"  # everyone, and it may enter the shared registry (found agreements)


class HoldingKind(StrEnum):
    """The kinds of work an organisation holds."""

    DOCUMENT = "document"  # keyed by sha256
    REQUEST = "request"  # a records request, by id
    CAMPAIGN = "campaign"  # a discovery campaign, by id
    JOB = "job"  # an ingestion job, by id


@dataclass(frozen=True, slots=True)
class User:
    """A person with an account: their organisation and role."""

    id: str
    email: str
    organisation_id: str
    organisation: str
    role: Role

    @property
    def may_edit(self) -> bool:
        return self.role in (Role.EDITOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class NewUser:
    """A user just made: the one-time password and API token are shown once and never stored."""

    user: User
    password: str
    token: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    organisation: str | None
    action: str
    subject: str | None
    detail: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "actor": self.actor,
            "organisation": self.organisation,
            "action": self.action,
            "subject": self.subject,
            "detail": self.detail,
        }


_VIEWER: ContextVar[User | None] = ContextVar("disentangle_viewer", default=None)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def _hasher() -> Any:
    from argon2 import PasswordHasher  # argon2id with the library's current recommended parameters

    return PasswordHasher()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class AccountsMixin(WorkspaceBase):
    """Users, roles, tokens, holdings and the audit log; the one rule of who sees what."""

    # ------------------------------------------------------------------ who is looking

    @contextmanager
    def acting_as(self, user: User | None) -> Iterator[None]:
        """Everything inside runs as `user` (None: the operator, who sees everything)."""
        token = _VIEWER.set(user)
        try:
            yield
        finally:
            _VIEWER.reset(token)

    @property
    def viewer(self) -> User | None:
        return _VIEWER.get()

    def has_users(self) -> bool:
        """Whether anyone has an account: then the web app asks everyone to sign in."""
        with self.store.read() as connection:
            return bool(connection.scalar(select(func.count()).select_from(t.users)))

    # ------------------------------------------------------------------ users

    def add_user(self, email: str, organisation: str, role: str) -> NewUser:
        """A new user of an organisation (made when new) with a role; returns a one-time password and an
        API token, shown once (only their hashes are kept)."""
        address = email.strip().lower()
        if not _EMAIL.match(address):
            raise InputError(f"not an email address: {email!r}")
        chosen = _role(role)
        name = " ".join(organisation.split())
        if not name or len(name) > 200:
            raise InputError("give the organisation's name (1 to 200 characters)")
        password = secrets.token_urlsafe(12)
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.store.transaction() as connection:
            if connection.scalar(select(t.users.c.id).where(t.users.c.email == address)) is not None:
                raise InputError(f"{address} already has an account; change its role with `user role`")
            org_id = connection.scalar(select(t.organisations.c.id).where(t.organisations.c.name == name))
            if org_id is None:
                org_id = uuid.uuid4().hex
                connection.execute(t.organisations.insert().values(id=org_id, name=name, created_at=now))
                self._audit(connection, "organisation.add", name, None)
            user_id = uuid.uuid4().hex
            connection.execute(
                t.users.insert().values(
                    id=user_id,
                    email=address,
                    organisation_id=org_id,
                    role=chosen.value,
                    password_hash=_hasher().hash(password),
                    created_at=now,
                )
            )
            connection.execute(
                t.api_tokens.insert().values(token_hash=_digest(token), user_id=user_id, created_at=now)
            )
            self._audit(connection, "user.add", address, {"organisation": name, "role": chosen.value})
        return NewUser(User(user_id, address, org_id, name, chosen), password, token)

    def set_role(self, email: str, role: str) -> User:
        chosen = _role(role)
        address = email.strip().lower()
        with self.store.transaction() as connection:
            found = connection.execute(
                select(t.users.c.id, t.users.c.role).where(t.users.c.email == address)
            ).first()
            if found is None:
                raise NotFoundError(f"no user {address}; add one with `disentangle user add`")
            connection.execute(t.users.update().where(t.users.c.id == found.id).values(role=chosen.value))
            self._audit(connection, "user.role", address, {"from": found.role, "to": chosen.value})
        user = self.user_by_email(address)
        assert user is not None
        return user

    def users(self) -> list[User]:
        with self.store.read() as connection:
            rows = connection.execute(_USER_QUERY.order_by(t.users.c.email)).all()
        return [_user(row) for row in rows]

    def user_by_email(self, email: str) -> User | None:
        with self.store.read() as connection:
            row = connection.execute(_USER_QUERY.where(t.users.c.email == email.strip().lower())).first()
        return _user(row) if row is not None else None

    def user_by_id(self, user_id: str) -> User | None:
        with self.store.read() as connection:
            row = connection.execute(_USER_QUERY.where(t.users.c.id == user_id)).first()
        return _user(row) if row is not None else None

    def check_password(self, email: str, password: str) -> User | None:
        """The user when the password is theirs (and the account is not disabled), else None. A wrong
        email costs the same argon2 work as a wrong password, so timing does not tell which it was."""
        from argon2.exceptions import InvalidHashError, VerificationError

        with self.store.read() as connection:
            row = connection.execute(
                select(t.users.c.id, t.users.c.password_hash, t.users.c.disabled_at).where(
                    t.users.c.email == email.strip().lower()
                )
            ).first()
        hasher = _hasher()
        stored = row.password_hash if row is not None else _DUMMY_HASH
        try:
            hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row.disabled_at is not None:
            return None
        return self.user_by_id(row.id)

    def user_by_token(self, token: str) -> User | None:
        """The user an API token belongs to (None: unknown or revoked)."""
        if not token or len(token) > 200:
            return None
        k = t.api_tokens
        with self.store.read() as connection:
            row = connection.execute(
                select(k.c.user_id).where(k.c.token_hash == _digest(token), k.c.revoked_at.is_(None))
            ).first()
        return self.user_by_id(row.user_id) if row is not None else None

    # ------------------------------------------------------------------ holdings: who sees what

    def hold(self, kind: HoldingKind, key: str, *, access: Access = Access.PRIVATE) -> None:
        """Record that the viewer's organisation holds this (no-op for the operator or without users)."""
        user = self.viewer
        if user is None:
            return
        now = datetime.now(UTC)
        h = t.holdings
        with self.store.transaction() as connection:
            found = connection.scalar(
                select(h.c.access).where(
                    h.c.kind == kind.value, h.c.key == key, h.c.organisation_id == user.organisation_id
                )
            )
            if found is None:
                connection.execute(
                    h.insert().values(
                        kind=kind.value,
                        key=key,
                        organisation_id=user.organisation_id,
                        owner_id=user.id,
                        access=access.value,
                        created_at=now,
                        changed_at=now,
                    )
                )
                self._audit(connection, f"{kind.value}.hold", key, {"access": access.value})

    def set_access(self, kind: HoldingKind, key: str, access: str) -> None:
        """Publish (or withdraw) what the viewer's organisation holds: editors and admins only."""
        level = _access(access)
        user = self.viewer
        if user is None:
            raise InputError("sign in to publish: access levels belong to an organisation's users")
        if not user.may_edit:
            raise ForbiddenError(f"a {user.role.value} cannot publish; ask an editor or admin")
        h = t.holdings
        mine = (h.c.kind == kind.value, h.c.key == key, h.c.organisation_id == user.organisation_id)
        with self.store.read() as connection:
            before = connection.scalar(select(h.c.access).where(*mine))
        if before is None:
            raise NotFoundError(f"your organisation holds no {kind.value} {key}")
        if level is Access.PUBLIC and before != Access.PUBLIC:
            self._publish(kind, key, by=user.email)  # refused (nothing changed) when it may not leave
        with self.store.transaction() as connection:
            now = datetime.now(UTC)
            connection.execute(h.update().where(*mine).values(access=level.value, changed_at=now))
            self._audit(connection, f"{kind.value}.access", key, {"access": level.value})
        if before == Access.PUBLIC and level is not Access.PUBLIC:
            self._withdraw(kind, key)
        self._after_access_change(kind, key)

    def _publish(self, kind: HoldingKind, key: str, *, by: str) -> None:
        """Hook: what making a holding public takes (a document: its reviewed, redacted copy)."""

    def _withdraw(self, kind: HoldingKind, key: str) -> None:
        """Hook: what taking a holding back from the public undoes (a document: its published copy)."""

    def _held_public(self, kind: HoldingKind, key: str, public: bool) -> None:
        """The holdings of a published (or withdrawn) thing follow it: the viewer's organisation's, or
        every organisation's when the operator acts. Withdrawn, they stay with the organisation."""
        h = t.holdings
        user = self.viewer
        where = [h.c.kind == kind.value, h.c.key == key]
        if user is not None:
            where.append(h.c.organisation_id == user.organisation_id)
        if public:
            values = {"access": Access.PUBLIC.value}
        else:
            where.append(h.c.access == Access.PUBLIC.value)
            values = {"access": Access.ORGANISATION.value}
        with self.store.transaction() as connection:
            connection.execute(h.update().where(*where).values(**values, changed_at=datetime.now(UTC)))
        self._after_access_change(kind, key)

    def _after_access_change(self, kind: HoldingKind, key: str) -> None:
        """Hook: the discovery part re-projects found agreements when a document's access changes."""

    def require_editor(self) -> None:
        """ForbiddenError when the viewer may only read (a viewer); the operator and editors pass."""
        user = self.viewer
        if user is not None and not user.may_edit:
            raise ForbiddenError(f"a {user.role.value} can read but not change anything; ask an editor")

    def may_see(self, kind: HoldingKind, key: str) -> bool:
        return key in self.visible(kind, [key])

    def reads_original(self, kind: HoldingKind, key: str) -> bool:
        """Whether the viewer may read the thing itself, not only what was published of it: the operator,
        a workspace without users, and the members its holding organisation grants. A public holding of
        another organisation grants only its published copy (for a document, the redacted one)."""
        return key in self.visible(kind, [key], published_only=False)

    def require_original(self, kind: HoldingKind, key: str) -> None:
        """NotFoundError unless the viewer may read the thing itself (`reads_original`)."""
        if self.reads_original(kind, key):
            return
        if self.may_see(kind, key):
            raise NotFoundError(
                f"{kind.value} {key} is public: only its published copy may be read by another organisation"
            )
        raise NotFoundError(f"no {kind.value} {key}")

    def require_visible(self, kind: HoldingKind, key: str) -> None:
        """NotFoundError, the same as for something that does not exist, when the viewer may not see it."""
        if not self.may_see(kind, key):
            raise NotFoundError(f"no {kind.value} {key}")

    def visible(self, kind: HoldingKind, keys: Iterable[str], *, published_only: bool = True) -> set[str]:
        """The keys among `keys` the viewer may see. The operator and a workspace without users see all.
        With users, a key nobody holds (brought in on the command line) is seen by admins only. Without
        `published_only`, another organisation's public holding does not count (see `reads_original`)."""
        wanted = set(keys)
        user = self.viewer
        if user is None or not wanted:
            return wanted
        h = t.holdings
        with self.store.read() as connection:
            rows = connection.execute(
                select(h.c.key, h.c.organisation_id, h.c.owner_id, h.c.access).where(h.c.kind == kind.value)
            ).all()
        held: dict[str, list[Any]] = {}
        for row in rows:
            if row.key in wanted:
                held.setdefault(row.key, []).append(row)
        seen = set()
        for key in wanted:
            rows_of = held.get(key)
            if rows_of is None:
                if user.role is Role.ADMIN:
                    seen.add(key)
                continue
            if any(_grants(row, user, public=published_only) for row in rows_of):
                seen.add(key)
        return seen

    def public_keys(self, kind: HoldingKind, connection: Connection) -> tuple[set[str], set[str]]:
        """(keys held publicly, keys held at all), read in the caller's transaction."""
        h = t.holdings
        rows = connection.execute(select(h.c.key, h.c.access).where(h.c.kind == kind.value)).all()
        return {r.key for r in rows if r.access == Access.PUBLIC}, {r.key for r in rows}

    def holdings_of(self, kind: HoldingKind, key: str) -> list[dict[str, Any]]:
        h, o = t.holdings, t.organisations
        with self.store.read() as connection:
            rows = connection.execute(
                select(o.c.name, h.c.access)
                .join(o, o.c.id == h.c.organisation_id)
                .where(h.c.kind == kind.value, h.c.key == key)
                .order_by(o.c.name)
            ).all()
        return [{"organisation": r.name, "access": r.access} for r in rows]

    # ------------------------------------------------------------------ the audit log

    def audit(self, action: str, subject: str | None = None, detail: dict[str, Any] | None = None) -> None:
        """Write one entry: who (the viewer, else the operator), what, when."""
        with self.store.transaction() as connection:
            self._audit(connection, action, subject, detail)

    def _audit(
        self, connection: Connection, action: str, subject: str | None, detail: dict[str, Any] | None
    ) -> None:
        user = self.viewer
        connection.execute(
            t.audit_log.insert().values(
                at=datetime.now(UTC),
                actor=user.email if user else OPERATOR,
                organisation=user.organisation if user else None,
                action=action[:80],
                subject=(subject or "")[:300] or None,
                detail=detail,
            )
        )

    def audit_log(self, *, limit: int = 200) -> list[AuditEntry]:
        """The newest entries first. A viewer sees their organisation's; the operator sees all."""
        a = t.audit_log
        query = select(a).order_by(a.c.id.desc()).limit(limit)
        user = self.viewer
        if user is not None:
            query = query.where(a.c.organisation == user.organisation)
        with self.store.read() as connection:
            rows = connection.execute(query).all()
        return [
            AuditEntry(_aware(r.at), r.actor, r.organisation, r.action, r.subject, r.detail) for r in rows
        ]


def _grants(row: Any, user: User, *, public: bool = True) -> bool:
    """Whether a holding lets the user see the thing; without `public`, a public holding of another
    organisation does not (it grants only the published copy)."""
    if public and row.access == Access.PUBLIC:
        return True
    if row.organisation_id != user.organisation_id:
        return False
    if row.access in (Access.ORGANISATION, Access.PUBLIC):
        return True
    return row.owner_id == user.id or user.role is Role.ADMIN


Choice = TypeVar("Choice", Role, Access)


def _choice(kind: type[Choice], value: str, what: str) -> Choice:
    """A Role or Access from what a person typed; InputError listing the choices otherwise."""
    try:
        return kind(value.strip().lower())
    except ValueError as exc:
        choices = ", ".join(member.value for member in kind)
        raise InputError(f"unknown {what} {value!r}: choose one of {choices}") from exc


def _role(role: str) -> Role:
    return _choice(Role, role, "role")


def _access(access: str) -> Access:
    return _choice(Access, access, "access level")


_USER_QUERY = select(
    t.users.c.id, t.users.c.email, t.users.c.organisation_id, t.organisations.c.name, t.users.c.role
).join(t.organisations, t.organisations.c.id == t.users.c.organisation_id)


def _user(row: Any) -> User:
    return User(row.id, row.email, row.organisation_id, row.name, Role(row.role))


# Verified against when the email is unknown, so an unknown email takes as long as a wrong password.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFy"
