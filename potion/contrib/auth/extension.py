"""The :class:`Auth` extension: one object that ties users, sessions, tokens and CSRF together."""

from __future__ import annotations

import datetime
import functools
import hashlib
import importlib
import secrets
from typing import Any, Callable, TypeVar, cast
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, redirect, request, session, url_for
from flask_login import LoginManager, login_user, logout_user
from flask_login import current_user as _current_user

from ...exceptions import Forbidden, ValidationError
from ...permissions import SUPERUSER_NEED, Identity, RoleNeed, UserNeed
from . import csrf
from .errors import AuthError, CSRFError, InvalidCredentials, InvalidToken, Unauthorized
from .models import AuthModels, build_models, normalize_username, utcnow
from .passwords import PasswordHasher, validate_password
from .sessions import (
    DatabaseSessionStore,
    RedisSessionStore,
    ServerSession,
    ServerSessionInterface,
)
from .settings import DEFAULTS, setting
from .throttle import DatabaseAttempts, RedisAttempts, Throttle

__all__ = ["Auth", "get_auth", "current_user", "STAFF_NEED", "AUTHENTICATED_NEED"]

#: Provided by staff users (``is_staff``) and superusers: the rule ``"staff"`` of
#: ``Meta.permissions`` (and of ``POTION_DEFAULT_PERMISSIONS``) grants them.
STAFF_NEED = RoleNeed("staff")

#: Provided by every logged-in user: the rule ``"authenticated"`` grants them.
AUTHENTICATED_NEED = RoleNeed("authenticated")

F = TypeVar("F", bound=Callable[..., Any])

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
TOKEN_PREFIX = "potion_"

#: The logged-in user of the request (flask-login's proxy); anonymous users have
#: ``is_authenticated`` false.  :meth:`Auth.get_current_user` gives the model or None.
current_user = _current_user


class _LoginManager(LoginManager):
    """flask-login, without its remember-me cookie: sessions live on the server only."""

    def _load_user_from_remember_cookie(self, cookie: Any) -> Any:
        return None


class _AppState:
    """What :class:`Auth` keeps per Flask app: the stores and the hasher."""

    def __init__(self, auth: Auth, app: Flask) -> None:
        redis_url = setting(app, "POTION_AUTH_REDIS_URL")
        models = auth.models
        if redis_url:
            import redis

            client = redis.Redis.from_url(redis_url)
            prefix = setting(app, "POTION_AUTH_REDIS_PREFIX")
            self.session_store: Any = RedisSessionStore(client, prefix)
            attempts: Any = RedisAttempts(client, prefix)
        else:
            self.session_store = DatabaseSessionStore(auth.db, models.AuthSession)
            attempts = DatabaseAttempts(auth.db, models.AuthAttempt)
        self.throttle = Throttle(attempts, app)
        self.hasher = PasswordHasher(
            time_cost=int(setting(app, "POTION_AUTH_ARGON2_TIME_COST")),
            memory_cost=int(setting(app, "POTION_AUTH_ARGON2_MEMORY_COST")),
            parallelism=int(setting(app, "POTION_AUTH_ARGON2_PARALLELISM")),
        )


class Auth:
    """contrib.auth: users and roles, login sessions, API tokens, CSRF and throttling.

    :param app: the Flask app; ``init_app`` is called when given.
    :param db: the app's Flask-SQLAlchemy ``SQLAlchemy`` object; the auth models are
        declared on it right away (``auth.User``, ``auth.Role``, ...), so they are
        part of ``db.create_all()`` and of migrations.
    :param api: the Potion :class:`~potion.Api`; when given, contrib.auth becomes its
        identity source and adds its routes (``/auth/...``, ``/user``, ``/role``).
    :param user_model: the project's own user model (see
        :class:`~potion.contrib.auth.UserMixin`); else ``POTION_AUTH_USER_MODEL``,
        else the built-in ``User``.
    """

    def __init__(
        self,
        app: Flask | None = None,
        db: Any = None,
        api: Any = None,
        *,
        user_model: Any = None,
    ) -> None:
        if db is None:
            raise TypeError("Auth needs the app's Flask-SQLAlchemy object: Auth(app, db=db)")
        self.db = db
        self.api = api
        if user_model is None and app is not None:
            user_model = setting(app, "POTION_AUTH_USER_MODEL")
        self.models: AuthModels = build_models(db, _import(user_model))
        self.login_manager = _LoginManager()
        self.resources: dict[str, Any] = {}
        if app is not None:
            self.init_app(app)

    # -- the models --------------------------------------------------------------

    @property
    def User(self) -> Any:  # noqa: N802 (a class)
        """The user model."""
        return self.models.User

    @property
    def Role(self) -> Any:  # noqa: N802
        """The role model."""
        return self.models.Role

    # -- set-up ------------------------------------------------------------------

    def init_app(self, app: Flask) -> None:
        """Install contrib.auth on ``app``: sessions, login, CSRF, routes, commands."""
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        configured = _import(setting(app, "POTION_AUTH_USER_MODEL"))
        if configured is not None and configured is not self.models.User:
            raise RuntimeError(
                f"POTION_AUTH_USER_MODEL names {configured.__name__}, but this Auth was "
                f"built with {self.models.User.__name__}: pass the app to Auth(app, db=db) "
                "or user_model= so the models are declared with it"
            )
        app.extensions["potion_auth"] = self
        app.extensions["potion_auth_state"] = _AppState(self, app)
        app.session_interface = ServerSessionInterface(
            lambda app_: app_.extensions["potion_auth_state"].session_store
        )

        manager = self.login_manager
        manager.session_protection = None
        manager.user_loader(self._load_session_user)
        manager.request_loader(self._load_request_user)
        manager.init_app(app)

        app.before_request(self._before_request)
        app.register_error_handler(AuthError, _auth_error_response)
        app.jinja_env.globals["csrf_token"] = csrf.csrf_token

        from .views import make_blueprint

        app.register_blueprint(make_blueprint(self, app))

        from .commands import commands

        for command in commands:
            if command.name not in app.cli.commands:
                app.cli.add_command(command)

        if self.api is not None:
            self._install_api(app)

    def _install_api(self, app: Flask) -> None:
        api = self.api
        if api.identity_source is None:
            api.identity_source = self.identity
        if self.resources:
            return
        from .resources import make_auth_resource, make_user_resources

        self.resources["auth"] = make_auth_resource(self)
        api.add_resource(self.resources["auth"])
        if setting(app, "POTION_AUTH_USER_RESOURCE"):
            role_resource, user_resource = make_user_resources(self)
            self.resources["role"] = role_resource
            self.resources["user"] = user_resource
            api.add_resource(role_resource)
            api.add_resource(user_resource)

    # -- per-app state -------------------------------------------------------------

    @property
    def state(self) -> _AppState:
        return cast(_AppState, current_app.extensions["potion_auth_state"])

    @property
    def hasher(self) -> PasswordHasher:
        """The password hasher of the current app."""
        return self.state.hasher

    @property
    def throttle(self) -> Throttle:
        return self.state.throttle

    @property
    def session_store(self) -> Any:
        return self.state.session_store

    # -- the current user ----------------------------------------------------------

    def get_current_user(self) -> Any:
        """The logged-in user of this request (a model instance), or None."""
        user = _current_user._get_current_object()  # type: ignore[attr-defined]
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        return user

    @property
    def auth_type(self) -> str | None:
        """How the current request is authenticated: ``"session"``, ``"token"`` or None."""
        if self.get_current_user() is None:
            return None
        return "token" if g.get("_potion_auth_token") is not None else "session"

    def identity(self) -> Identity | None:
        """The current request's identity for the permission layer (None when anonymous).

        It provides ``UserNeed(user.id)``, :data:`AUTHENTICATED_NEED`, a
        ``RoleNeed`` per role, :data:`STAFF_NEED` for staff and superusers and,
        for superusers, ``SUPERUSER_NEED``.
        """
        user = self.get_current_user()
        if user is None:
            return None
        cached = g.get("_potion_auth_identity")
        if cached is not None and cached.id == user.id:
            return cast(Identity, cached)
        needs: set[Any] = {UserNeed(user.id), AUTHENTICATED_NEED}
        needs.update(RoleNeed(role.name) for role in getattr(user, "roles", ()) or ())
        if user.is_staff or user.is_superuser:
            needs.add(STAFF_NEED)
        if user.is_superuser:
            needs.add(SUPERUSER_NEED)
        identity = Identity(user.id, needs, auth_type=self.auth_type)
        g._potion_auth_identity = identity
        return identity

    def _load_session_user(self, user_id: str) -> Any:
        if g.get("_potion_auth_token") is not None:
            return None  # a bearer token speaks for this request, not the cookie
        return self._active_user(user_id)

    def _load_request_user(self, req: Any) -> Any:
        token = g.get("_potion_auth_token")
        return token.user if token is not None else None

    def _active_user(self, user_id: Any) -> Any:
        User = self.models.User
        pk = User.__mapper__.primary_key[0]
        try:
            python_type = pk.type.python_type
            user_id = python_type(user_id)
        except (TypeError, ValueError):
            return None
        except NotImplementedError:
            pass
        user = self.db.session.get(User, user_id)
        if user is None or not user.is_active:
            return None
        return user

    # -- each request ------------------------------------------------------------

    def _before_request(self) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "bearer":
            g._potion_auth_token = self.load_token(credentials.strip())
            return  # a bearer token cannot be sent by another site: no CSRF check
        if request.method in _SAFE_METHODS or _is_csrf_exempt():
            return
        if session.get("_user_id") is None:
            return  # not authenticated by the session cookie
        if self.get_current_user() is None:
            return
        if not csrf.check_csrf_token(self._sent_csrf_token()):
            raise CSRFError()

    def _sent_csrf_token(self) -> Any:
        token = request.headers.get(setting(current_app, "POTION_AUTH_CSRF_HEADER"))
        if token:
            return token
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return request.form.get(setting(current_app, "POTION_AUTH_CSRF_FIELD"))
        return None

    def csrf_token(self) -> str:
        """A CSRF token for the current session (see :func:`potion.contrib.auth.csrf_token`)."""
        return csrf.csrf_token()

    # -- users and passwords ----------------------------------------------------------

    def find_user(self, username: str) -> Any:
        """The user with this username, in any case, or None."""
        User = self.models.User
        return self.db.session.execute(
            sa.select(User).where(User.username_key == normalize_username(username))
        ).scalar_one_or_none()

    def validate_password(self, password: Any, user: Any = None, field: str = "password") -> None:
        """Run the password validators (400 naming ``field`` when one fails)."""
        validate_password(password, user, current_app.config, field)

    def set_password(
        self, user: Any, password: str, validate: bool = True, field: str = "password"
    ) -> None:
        """Validate and hash ``password`` onto ``user`` (not committed).

        For a user already stored, every session and API token of theirs ends when
        the change is committed (the current session survives under a new id).
        """
        if validate:
            self.validate_password(password, user, field)
        user.password_hash = self.hasher.hash(password)
        if sa.inspect(user).persistent:
            self.end_sessions_and_tokens(user)

    def create_user(
        self,
        username: str,
        password: str | None = None,
        email: str = "",
        *,
        validate: bool = True,
        commit: bool = True,
        **attributes: Any,
    ) -> Any:
        """Create a user (``is_staff=True``, ``is_superuser=True`` ... as keywords).

        A user without a password cannot log in until one is set.
        """
        User = self.models.User
        user = User(username=username, email=email, **attributes)
        if self.find_user(username) is not None:
            from ...exceptions import DuplicateKey

            raise DuplicateKey(
                "A user with this username already exists",
                errors=[{"path": ["username"], "validationOf": {"unique": True}}],
            )
        if password is not None:
            self.set_password(user, password, validate=validate)
        self.db.session.add(user)
        if commit:
            self.db.session.commit()
        return user

    def authenticate(self, username: str, password: str, address: str | None = None) -> Any:
        """The active user with these credentials, or :class:`InvalidCredentials` (401).

        Throttled per username and per address (429 when over the limit); a wrong
        password, an unknown user and an inactive user get the same answer in the
        same time.  An outdated hash is replaced by a fresh one (committed).
        """
        throttle = self.throttle
        throttle.check(username, address)
        user = self.find_user(username)
        hasher = self.hasher
        if user is None:
            hasher.verify_nothing(password)
            valid = False
        else:
            valid = hasher.verify(user.password_hash, password)
        if not valid or user is None or not user.is_active:
            self.db.session.rollback()
            throttle.failed(username, address)
            raise InvalidCredentials()
        throttle.succeeded(username)
        if hasher.needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        return user

    def login(self, user: Any) -> None:
        """Log ``user`` in on this request's session, under a new session id."""
        if session.get("_user_id") not in (None, user.get_id()):
            session.clear()
        _rotate()
        csrf.rotate_csrf_secret()
        login_user(user)
        user.last_login = utcnow()
        self.db.session.commit()
        g.pop("_potion_auth_identity", None)

    def logout(self) -> None:
        """End the current session on the server (a replayed cookie finds nothing)."""
        logout_user()
        session.clear()
        g.pop("_potion_auth_identity", None)

    def end_sessions_and_tokens(self, user: Any) -> None:
        """End every session (but the current one, which gets a new id) and token of ``user``.

        Joins the ORM session's transaction; call before committing the change that
        requires it (a new password).
        """
        keep = None
        if (
            has_request_context()
            and isinstance(session, ServerSession)
            and session.get("_user_id") == user.get_id()
        ):
            keep = session.key
            _rotate()
        self.session_store.delete_for_user(user.id, keep=keep, session=self.db.session)
        Token = self.models.AuthToken
        self.db.session.execute(sa.delete(Token).where(Token.user_id == user.id))

    # -- tokens ------------------------------------------------------------------------

    def create_token(self, user: Any, days: float | None = None, name: str = "") -> tuple[str, Any]:
        """A new API token for ``user``: ``(token, row)``; the token is shown only now."""
        if days is None:
            days = float(setting(current_app, "POTION_AUTH_TOKEN_DAYS"))
        maximum = float(setting(current_app, "POTION_AUTH_TOKEN_MAX_DAYS"))
        if not 0 < days <= maximum:
            raise ValidationError(
                [{"path": ["expires"], "message": f"A token lives between 0 and {maximum:g} days"}]
            )
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        Token = self.models.AuthToken
        token = Token(
            user_id=user.id,
            key_hash=_token_hash(raw),
            name=name,
            expires_at=utcnow() + datetime.timedelta(days=days),
        )
        self.db.session.add(token)
        self.db.session.commit()
        return raw, token

    def load_token(self, raw: str) -> Any:
        """The stored token for a bearer token; :class:`InvalidToken` (401) when it is
        unknown, expired or revoked, or its user is inactive."""
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            raise InvalidToken()
        Token = self.models.AuthToken
        token = self.db.session.execute(
            sa.select(Token).where(Token.key_hash == _token_hash(raw))
        ).scalar_one_or_none()
        if token is None or token.expires_at <= utcnow() or not token.user.is_active:
            raise InvalidToken()
        return token

    def revoke_token(self, token_id: Any, user: Any) -> bool:
        """Delete a token of ``user`` (a superuser may delete anyone's); False if none."""
        Token = self.models.AuthToken
        statement = sa.delete(Token).where(Token.id == token_id)
        if not user.is_superuser:
            statement = statement.where(Token.user_id == user.id)
        deleted = self.db.session.execute(statement).rowcount
        self.db.session.commit()
        return bool(deleted)

    # -- housekeeping ------------------------------------------------------------------

    def purge(self) -> dict[str, int]:
        """Delete expired sessions, tokens and old failed attempts; returns counts."""
        Token = self.models.AuthToken
        tokens = self.db.session.execute(sa.delete(Token).where(Token.expires_at <= utcnow()))
        self.db.session.commit()
        return {
            "sessions": self.session_store.purge(),
            "tokens": int(tokens.rowcount),
            "attempts": self.throttle.purge(),
        }

    # -- HTML views ----------------------------------------------------------------

    def login_url(self, next_url: str | None = None) -> str:
        """The login page's URL, with ``next`` when given."""
        url = url_for("potion_auth.login")
        if next_url:
            from urllib.parse import urlencode

            url += "?" + urlencode({"next": next_url})
        return url

    def login_required(self, view: F) -> F:
        """Decorate an HTML view: anonymous visitors go to the login page (with ``next``)."""

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self.get_current_user() is None:
                return redirect(self.login_url(_here()))
            return view(*args, **kwargs)

        return cast(F, wrapper)

    def staff_required(self, view: F) -> F:
        """Decorate an HTML view for staff: others go to the login page, which says so."""

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = self.get_current_user()
            if user is None or not (user.is_staff or user.is_superuser):
                return redirect(self.login_url(_here()))
            return view(*args, **kwargs)

        return cast(F, wrapper)

    def require_user(self) -> Any:
        """The current user, or :class:`Unauthorized` (401) for API code."""
        user = self.get_current_user()
        if user is None:
            raise Unauthorized()
        return user

    def require_staff(self) -> Any:
        """The current user when staff or superuser; 401 when anonymous, else 403."""
        user = self.require_user()
        if not (user.is_staff or user.is_superuser):
            raise Forbidden()
        return user


def _here() -> str:
    return request.full_path.rstrip("?")


def _rotate() -> None:
    if isinstance(session, ServerSession) or hasattr(session, "rotate"):
        session.rotate()  # type: ignore[attr-defined]


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _is_csrf_exempt() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    while view is not None:
        if getattr(view, "csrf_exempt", False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False


def csrf_exempt(view: F) -> F:
    """Mark a view as needing no CSRF token (it must not act on the session cookie alone)."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def _auth_error_response(error: AuthError) -> Any:
    return error.get_response()


def _import(model: Any) -> Any:
    if model is None or not isinstance(model, str):
        return model
    module, _, name = model.replace(":", ".").rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise RuntimeError(f"POTION_AUTH_USER_MODEL {model!r} cannot be imported: {exc}") from exc


def get_auth(app: Flask | None = None) -> Auth:
    """The :class:`Auth` installed on ``app`` (the current app by default)."""
    app = app or current_app
    try:
        return cast(Auth, app.extensions["potion_auth"])
    except KeyError:
        raise RuntimeError("contrib.auth is not installed on this app: Auth(app, db=db)") from None


def is_safe_redirect(target: str | None) -> bool:
    """Whether ``target`` stays on this host (a path, or a URL of the same host)."""
    if not target or not isinstance(target, str):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return False
    if parts.netloc:
        return bool(parts.netloc == request.host and (parts.scheme or "http") == request.scheme)
    return target.startswith("/") and not target.startswith("//")
