"""The auth models, declared on the application's own Flask-SQLAlchemy ``db``.

:func:`build_models` declares them once per ``db`` (a Potion project's or a plain
Flask app's ``SQLAlchemy()`` object), so they join that database's metadata,
``db.create_all()`` and its migrations:

========================  ==============================================================
``User``                  ``auth_user``: the people who log in (unless the project
                          swaps in its own model, see :class:`UserMixin`)
``Role``                  ``auth_role``, with ``auth_user_roles`` between them
``AuthSession``           ``auth_session``: server-side sessions, keyed by the hash of
                          the id in the cookie
``AuthToken``             ``auth_token``: API tokens, stored as a hash
``AuthAttempt``           ``auth_attempt``: failed login attempts, for throttling
========================  ==============================================================
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from ...backends.sqlalchemy import FILLED_BY_MODEL

__all__ = ["UserMixin", "AuthModels", "build_models", "normalize_username", "utcnow"]

#: What a username may hold: letters, digits and ``. @ + - _``, 1 to 150 characters.
USERNAME_PATTERN = r"^[\w.@+-]+$"
USERNAME_MAX_LENGTH = 150

#: The attributes a user model must have (the swapped-in model too).
USER_FIELDS = (
    "id",
    "username",
    "username_key",
    "email",
    "password_hash",
    "is_active",
    "is_staff",
    "is_superuser",
    "date_joined",
    "last_login",
)


def utcnow() -> datetime.datetime:
    """The current time as a naive UTC datetime (as the auth tables store it)."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def username_problem(username: object) -> str | None:
    """Why ``username`` cannot be a username, or None when it can."""
    if not isinstance(username, str) or not username:
        return "A username is required"
    if len(username) > USERNAME_MAX_LENGTH:
        return f"A username has at most {USERNAME_MAX_LENGTH} characters"
    if not re.fullmatch(r"[\w.@+-]+", username):
        return "A username may hold only letters, digits and . @ + - _"
    return None


def normalize_username(username: str) -> str:
    """The case-insensitive form of a username: NFKC-normalised, case-folded.

    Two usernames with the same key are the same user: ``Alice`` and ``alice``
    cannot both exist, and either logs in as the other.
    """
    return unicodedata.normalize("NFKC", username).casefold()


class UserMixin:
    """The columns contrib.auth needs, for the built-in ``User`` and a project's own.

    A project that wants more on its users declares its model with this mixin and
    names it in ``POTION_AUTH_USER_MODEL``::

        class Member(UserMixin, db.Model):
            __tablename__ = "member"
            phone = db.Column(db.String(30))

    ``username_key`` is kept up to date from ``username`` and is unique, which makes
    usernames unique regardless of case.  ``roles`` is added by :func:`build_models`.
    """

    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(150), nullable=False)
    # filled from ``username`` (see _set_username_key): no resource field writes it
    username_key = sa.Column(
        sa.String(150),
        nullable=False,
        unique=True,
        index=True,
        info={FILLED_BY_MODEL: True},
    )
    email = sa.Column(sa.String(254), nullable=False, default="")
    password_hash = sa.Column(sa.String(255), nullable=True)
    is_active = sa.Column(sa.Boolean, nullable=False, default=True)
    is_staff = sa.Column(sa.Boolean, nullable=False, default=False)
    is_superuser = sa.Column(sa.Boolean, nullable=False, default=False)
    date_joined = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    last_login = sa.Column(sa.DateTime, nullable=True)

    @orm.validates("username")
    def _set_username_key(self, key: str, value: Any) -> Any:
        if isinstance(value, str):
            self.username_key = normalize_username(value)  # type: ignore[assignment]
        return value

    # flask-login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.username!r}>"


@dataclass
class AuthModels:
    """The model classes :func:`build_models` declared for one ``db``."""

    User: Any
    Role: Any
    user_roles: Any
    AuthSession: Any
    AuthToken: Any
    AuthAttempt: Any


def build_models(db: Any, user_model: Any = None) -> AuthModels:
    """Declare the auth models on ``db`` (once; later calls return the same classes).

    :param db: a Flask-SQLAlchemy ``SQLAlchemy`` object.
    :param user_model: the project's own user model (a ``db.Model`` with the fields
        of :class:`UserMixin`); the built-in ``User`` when None.
    """
    existing = getattr(db, "_potion_auth_models", None)
    if existing is not None:
        if user_model is not None and existing.User is not user_model:
            raise RuntimeError(
                "contrib.auth models are already declared on this db with another user model"
            )
        return existing

    if user_model is None:

        class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
            """A person who logs in."""

            __tablename__ = "auth_user"

        user_model = User
    else:
        check_user_model(user_model)

    user_table = user_model.__table__
    user_pk = f"{user_table.name}.{user_model.__mapper__.primary_key[0].name}"

    user_roles = db.Table(
        "auth_user_roles",
        sa.Column("user_id", sa.ForeignKey(user_pk, ondelete="CASCADE"), primary_key=True),
        sa.Column("role_id", sa.ForeignKey("auth_role.id", ondelete="CASCADE"), primary_key=True),
    )

    if "roles" in user_model.__mapper__.relationships:
        role_users = orm.relationship(user_model, secondary=user_roles, viewonly=True)
    else:
        role_users = orm.relationship(
            user_model,
            secondary=user_roles,
            backref=orm.backref("roles", order_by=lambda: Role.__table__.c.id, lazy="selectin"),
        )

    class Role(db.Model):  # type: ignore[name-defined,misc]
        """A named group of users; each role a user has is a ``RoleNeed`` of theirs."""

        __tablename__ = "auth_role"
        id = sa.Column(sa.Integer, primary_key=True)
        name = sa.Column(sa.String(80), nullable=False, unique=True)
        description = sa.Column(sa.String(255), nullable=False, default="")
        users = role_users

        def __repr__(self) -> str:
            return f"<Role {self.name!r}>"

    class AuthSession(db.Model):  # type: ignore[name-defined,misc]
        """A server-side session; ``key_hash`` is the SHA-256 of the id in the cookie."""

        __tablename__ = "auth_session"
        key_hash = sa.Column(sa.String(64), primary_key=True)
        user_id: Any = sa.Column(
            sa.ForeignKey(user_pk, ondelete="CASCADE"), nullable=True, index=True
        )
        data = sa.Column(sa.Text, nullable=False)
        created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
        expires_at = sa.Column(sa.DateTime, nullable=False, index=True)

    class AuthToken(db.Model):  # type: ignore[name-defined,misc]
        """An API token; only the SHA-256 of the token is stored."""

        __tablename__ = "auth_token"
        id = sa.Column(sa.Integer, primary_key=True)
        user_id: Any = sa.Column(
            sa.ForeignKey(user_pk, ondelete="CASCADE"), nullable=False, index=True
        )
        key_hash = sa.Column(sa.String(64), nullable=False, unique=True)
        name = sa.Column(sa.String(100), nullable=False, default="")
        created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
        expires_at = sa.Column(sa.DateTime, nullable=False, index=True)
        user = orm.relationship(user_model, lazy="joined")

    class AuthAttempt(db.Model):  # type: ignore[name-defined,misc]
        """One failed login or token attempt, counted by the hash of a username or address."""

        __tablename__ = "auth_attempt"
        __table_args__ = (sa.Index("ix_auth_attempt_key_hash_at", "key_hash", "at"),)
        id = sa.Column(sa.Integer, primary_key=True)
        key_hash = sa.Column(sa.String(64), nullable=False)
        at = sa.Column(sa.BigInteger, nullable=False)  # milliseconds since the epoch

    models = AuthModels(
        User=user_model,
        Role=Role,
        user_roles=user_roles,
        AuthSession=AuthSession,
        AuthToken=AuthToken,
        AuthAttempt=AuthAttempt,
    )
    db._potion_auth_models = models
    return models


def check_user_model(model: Any) -> None:
    """Refuse a user model that lacks a field contrib.auth needs, naming the fields."""
    mapper = getattr(model, "__mapper__", None)
    if mapper is None:
        raise TypeError(f"POTION_AUTH_USER_MODEL must be a SQLAlchemy model, not {model!r}")
    missing = [name for name in USER_FIELDS if not hasattr(model, name)]
    if missing:
        raise TypeError(
            f"The user model {model.__name__} lacks {', '.join(missing)}: "
            "declare it with potion.contrib.auth.UserMixin"
        )
    if len(mapper.primary_key) != 1:
        raise TypeError(f"The user model {model.__name__} must have a single-column primary key")
