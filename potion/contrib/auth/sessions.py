"""Server-side sessions: the cookie holds only a random id, the data stays on the server.

The id is 32 random bytes; the store keys the session by the SHA-256 of it, so
someone who reads the store cannot use what they read as a cookie.  Sessions live
in the database (``auth_session``) unless ``POTION_AUTH_REDIS_URL`` is set.

Deleting a session on the server ends it: a copy of the cookie replayed later
finds nothing and the request is anonymous.  ``logout`` deletes the session, a
password change deletes every session of the user, and a login moves the session
to a new id (the old one is deleted), so an id planted before the login is useless
afterwards.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
from typing import Any

import sqlalchemy as sa
from flask import Flask, Request, Response
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict

from .models import utcnow
from .settings import setting

__all__ = [
    "ServerSession",
    "ServerSessionInterface",
    "DatabaseSessionStore",
    "RedisSessionStore",
    "session_key",
]

_SID = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
_serializer = TaggedJSONSerializer()


def session_key(sid: str) -> str:
    """The store's key of a session id: its SHA-256, in hex."""
    return hashlib.sha256(sid.encode()).hexdigest()


class ServerSession(CallbackDict, SessionMixin):  # type: ignore[type-arg]
    """A session whose data lives in a store; ``sid`` is the id in the cookie."""

    def __init__(self, initial: Any = None, sid: str | None = None) -> None:
        def on_update(this: Any) -> None:
            this.modified = True
            this.accessed = True

        super().__init__(initial, on_update)
        self.sid = sid
        self.new = sid is None
        self.modified = False
        self.accessed = False
        self.rotate_requested = False

    def rotate(self) -> None:
        """Move the data to a new id when the response is sent; the old id stops working."""
        self.rotate_requested = True
        self.modified = True

    @property
    def key(self) -> str | None:
        """The store's key of this session (None before it was first saved)."""
        return session_key(self.sid) if self.sid else None


class ServerSessionInterface(SessionInterface):
    """Flask's session interface over a session store (see :class:`DatabaseSessionStore`)."""

    def __init__(self, store_for: Any) -> None:
        #: ``store_for(app)``: the session store of an app
        self.store_for = store_for

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        sid = request.cookies.get(setting(app, "POTION_AUTH_SESSION_COOKIE"))
        if sid and _SID.match(sid):
            data = self.store_for(app).load(session_key(sid))
            if data is not None:
                return ServerSession(data, sid=sid)
        return ServerSession()

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        name = setting(app, "POTION_AUTH_SESSION_COOKIE")
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if session.accessed:
            response.vary.add("Cookie")
        store = self.store_for(app)
        if not session:
            if session.sid is not None and session.modified:
                store.delete(session.key)
                response.delete_cookie(name, domain=domain, path=path)
            return
        if not session.modified:
            return
        if session.rotate_requested and session.sid is not None:
            store.delete(session.key)
            session.sid = None
        if session.sid is None:
            session.sid = secrets.token_urlsafe(32)
        age = int(setting(app, "POTION_AUTH_SESSION_AGE"))
        expires = utcnow() + datetime.timedelta(seconds=age)
        store.save(session.key, dict(session), session.get("_user_id"), expires, age)
        response.set_cookie(
            name,
            session.sid,
            max_age=age,
            domain=domain,
            path=path,
            httponly=True,
            secure=_secure(app),
            samesite=setting(app, "POTION_AUTH_SESSION_COOKIE_SAMESITE"),
        )


def _secure(app: Flask) -> bool:
    from flask import request

    value = setting(app, "POTION_AUTH_SESSION_COOKIE_SECURE")
    if value == "auto":
        return bool(request.is_secure)
    return bool(value)


def _user_id_value(column: Any, user_id: Any) -> Any:
    if user_id is None:
        return None
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return user_id
    try:
        return python_type(user_id)
    except (TypeError, ValueError):
        return None


class DatabaseSessionStore:
    """Sessions in the ``auth_session`` table, written on a connection of their own.

    A session is saved when the response is sent, after the request's own work is
    committed, so it never commits or rolls back anything of the request.
    """

    def __init__(self, db: Any, model: Any) -> None:
        self.db = db
        self.table = model.__table__

    def load(self, key: str) -> dict[str, Any] | None:
        table = self.table
        with self.db.engine.connect() as connection:
            row = connection.execute(
                sa.select(table.c.data, table.c.expires_at).where(table.c.key_hash == key)
            ).first()
        if row is None or row.expires_at <= utcnow():
            return None
        try:
            data = _serializer.loads(row.data)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def save(
        self,
        key: str,
        data: dict[str, Any],
        user_id: Any,
        expires: datetime.datetime,
        age: int,
    ) -> None:
        table = self.table
        values = {
            "data": _serializer.dumps(data),
            "user_id": _user_id_value(table.c.user_id, user_id),
            "expires_at": expires,
        }
        with self.db.engine.begin() as connection:
            updated = connection.execute(
                sa.update(table).where(table.c.key_hash == key).values(**values)
            ).rowcount
            if not updated:
                connection.execute(
                    sa.insert(table).values(key_hash=key, created_at=utcnow(), **values)
                )

    def delete(self, key: str) -> None:
        with self.db.engine.begin() as connection:
            connection.execute(sa.delete(self.table).where(self.table.c.key_hash == key))

    def delete_for_user(self, user_id: Any, keep: str | None = None, session: Any = None) -> None:
        """End every session of a user (but ``keep``).

        With ``session`` (an ORM session) the delete joins its transaction, so it
        commits or rolls back with the change that caused it.
        """
        table = self.table
        statement = sa.delete(table).where(
            table.c.user_id == _user_id_value(table.c.user_id, user_id)
        )
        if keep is not None:
            statement = statement.where(table.c.key_hash != keep)
        if session is not None:
            session.execute(statement)
            return
        with self.db.engine.begin() as connection:
            connection.execute(statement)

    def purge(self) -> int:
        """Delete expired sessions; returns how many."""
        table = self.table
        with self.db.engine.begin() as connection:
            return int(
                connection.execute(sa.delete(table).where(table.c.expires_at <= utcnow())).rowcount
            )


class RedisSessionStore:
    """Sessions in Redis under ``<prefix>session:<key>``, expiring by themselves.

    ``<prefix>user-sessions:<user id>`` is the set of a user's session keys, so all
    of them can be ended at once.
    """

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}session:{key}"

    def _user_set(self, user_id: Any) -> str:
        return f"{self.prefix}user-sessions:{user_id}"

    def load(self, key: str) -> dict[str, Any] | None:
        raw = self.client.get(self._name(key))
        if raw is None:
            return None
        try:
            data = _serializer.loads(raw.decode() if isinstance(raw, bytes) else raw)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def save(
        self,
        key: str,
        data: dict[str, Any],
        user_id: Any,
        expires: datetime.datetime,
        age: int,
    ) -> None:
        pipe = self.client.pipeline()
        pipe.set(self._name(key), _serializer.dumps(data), ex=age)
        if user_id is not None:
            pipe.sadd(self._user_set(user_id), key)
            pipe.expire(self._user_set(user_id), age)
        pipe.execute()

    def delete(self, key: str) -> None:
        self.client.delete(self._name(key))

    def delete_for_user(self, user_id: Any, keep: str | None = None, session: Any = None) -> None:
        members = self.client.smembers(self._user_set(user_id))
        keys = [m.decode() if isinstance(m, bytes) else m for m in members]
        doomed = [key for key in keys if key != keep]
        pipe = self.client.pipeline()
        for key in doomed:
            pipe.delete(self._name(key))
            pipe.srem(self._user_set(user_id), key)
        pipe.execute()

    def purge(self) -> int:
        """Nothing to do: Redis expires sessions by itself."""
        return 0
