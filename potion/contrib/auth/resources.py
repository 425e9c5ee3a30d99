"""The API routes of contrib.auth: ``/auth/...`` (login, logout, tokens), ``/user`` and ``/role``.

The resource classes are made per :class:`~potion.contrib.auth.Auth` (each Api
owns its resource classes), by :func:`make_auth_resource` and
:func:`make_user_resources`.

Who may do what on ``/user`` (anonymous requests get 401 everywhere):

=====================  ====================================================================
a user                 reads and updates itself (not its own ``is_active``, ``is_staff``,
                       ``is_superuser`` or ``roles``; its password only through
                       ``POST /user/me/password``); other users do not exist for it (404)
staff                  lists and reads every user; creates, updates and deletes users that
                       are neither staff nor superusers; never sets ``is_staff``,
                       ``is_superuser`` or ``roles``
superuser              everything, except changing its own flags and roles or deleting itself
=====================  ====================================================================
"""

from __future__ import annotations

import functools
from typing import Any

from flask import request

from ... import fields
from ...exceptions import DuplicateKey, Forbidden, ItemNotFound, ValidationError
from ...filters import Condition, filters_for_field
from ...resource import ModelResource, Resource
from ...routes import Route
from .extension import Auth, csrf_exempt
from .models import USERNAME_MAX_LENGTH, USERNAME_PATTERN

__all__ = ["make_auth_resource", "make_user_resources"]

#: Longest password accepted in a request body (hashing cost stays bounded).
PASSWORD_FIELD_LENGTH = 4096


def _username_field(**kwargs: Any) -> fields.String:
    return fields.String(
        min_length=1, max_length=USERNAME_MAX_LENGTH, pattern=USERNAME_PATTERN, **kwargs
    )


def _password_field(**kwargs: Any) -> fields.String:
    return fields.String(min_length=1, max_length=PASSWORD_FIELD_LENGTH, **kwargs)


def _user_summary(auth: Auth, user: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "is_staff": bool(user.is_staff),
        "is_superuser": bool(user.is_superuser),
    }


def make_auth_resource(auth: Auth) -> type[Resource]:
    """The ``auth`` resource: ``/auth/login``, ``/auth/logout``, ``/auth/session``, tokens."""

    class AuthResource(Resource):
        """Logging in and out, and API tokens."""

        class Meta:
            name = "auth"
            title = "Authentication"
            route_decorators = {"login": csrf_exempt, "createToken": csrf_exempt}

        @Route.POST("/login", rel="login")
        def login(
            self,
            username: _username_field(),  # type: ignore[valid-type]
            password: _password_field(),  # type: ignore[valid-type]
        ) -> Any:
            """Log in with a username and password: sets the session cookie.

            The answer holds the CSRF token that unsafe requests authenticated by the
            cookie must send in the ``X-CSRFToken`` header.
            """
            user = auth.authenticate(username, password, request.remote_addr)
            auth.login(user)
            return {**_user_summary(auth, user), "csrf_token": auth.csrf_token()}

        @Route.POST("/logout", rel="logout")
        def logout(self) -> Any:
            """End the session (also on the server: the old cookie stops working)."""
            auth.logout()
            return None, 204

        @Route.GET("/session", rel="session")
        def current_session(self) -> Any:
            """Who is logged in, how, and the CSRF token of the session."""
            user = auth.get_current_user()
            if user is None:
                return {"authenticated": False, "user": None}
            body: dict[str, Any] = {"authenticated": True, "auth_type": auth.auth_type}
            body["user"] = _user_summary(auth, user)
            if auth.auth_type == "session":
                body["csrf_token"] = auth.csrf_token()
            return body

        @Route.POST("/token", rel="createToken")
        def create_token(
            self,
            username: _username_field(),  # type: ignore[valid-type]
            password: _password_field(),  # type: ignore[valid-type]
            name: fields.String(max_length=100) = "",  # type: ignore[valid-type]
            expires_in_days: fields.Number(minimum=0.001, nullable=True) = None,  # type: ignore[valid-type]
        ) -> Any:
            """Exchange credentials for an API token, shown only in this answer.

            Send it as ``Authorization: Bearer <token>``.
            """
            user = auth.authenticate(username, password, request.remote_addr)
            raw, token = auth.create_token(user, days=expires_in_days, name=name or "")
            return _token_body(token, raw), 201

        @Route.GET("/token", rel="tokens")
        def tokens(self) -> Any:
            """The current user's tokens (never the tokens themselves)."""
            user = auth.require_user()
            Token = auth.models.AuthToken
            rows = auth.db.session.execute(
                Token.__table__.select().where(Token.user_id == user.id).order_by(Token.id)
            )
            return [_token_body(row) for row in rows]

        @Route.DELETE("/token/<int:id>", rel="revokeToken")
        def revoke_token(self, id: int) -> Any:
            """Revoke a token of the current user (a superuser may revoke anyone's)."""
            user = auth.require_user()
            if not auth.revoke_token(id, user):
                raise ItemNotFound(None, id=id)
            return None, 204

    return AuthResource


def _token_body(token: Any, raw: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": token.id,
        "name": token.name,
        "created": _iso(token.created_at),
        "expires": _iso(token.expires_at),
    }
    if raw is not None:
        body["token"] = raw
    return body


def _iso(value: Any) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


def make_user_resources(auth: Auth) -> tuple[type[ModelResource], type[ModelResource]]:
    """The ``role`` and ``user`` resources for ``auth``'s models."""

    class RoleResource(ModelResource):
        """Roles: every logged-in user reads them, superusers manage them."""

        class Meta:
            model = auth.models.Role
            name = "role"
            natural_key = "name"
            exclude_fields = ("users",)
            route_decorators = _logged_in(auth, "instances", "create", "self", "update", "destroy")

        class Schema:
            name = fields.String(min_length=1, max_length=80)
            description = fields.String(max_length=255, default="")

        def instances(self, **kwargs: Any) -> Any:
            auth.require_user()
            return super().instances(**kwargs)

        def read(self, id: Any) -> Any:
            auth.require_user()
            return super().read(id)

        def read_item(self, id: Any) -> Any:
            auth.require_user()
            return super().read_item(id)

        def create(self, properties: dict[str, Any]) -> Any:
            _require_superuser(auth)
            return super().create(properties)

        def update(self, properties: dict[str, Any], id: Any) -> Any:
            _require_superuser(auth)
            return super().update(properties, id)

        def destroy(self, id: Any) -> Any:
            _require_superuser(auth)
            return super().destroy(id)

    class UserResource(ModelResource):
        """Users: each user reads and updates itself; staff and superusers manage users."""

        class Meta:
            model = auth.models.User
            name = "user"
            title = "Users"
            exclude_fields = ("username_key", "password_hash")
            read_only_fields = ("date_joined", "last_login")
            route_decorators = _logged_in(
                auth, "instances", "create", "self", "update", "destroy", "me", "changePassword"
            )

        class Schema:
            username = _username_field()
            email = fields.String(max_length=254, pattern=r"^$|^[^@\s]+@[^@\s]+$", default="")
            password = _password_field(io="w")
            roles = fields.ToMany(RoleResource)

        # -- reads -----------------------------------------------------------------

        def instances(self, **kwargs: Any) -> Any:
            actor = auth.require_user()
            if not _is_manager(actor):
                kwargs["where"] = (*(kwargs.get("where") or ()), _only(self, actor))
            return super().instances(**kwargs)

        def read(self, id: Any) -> Any:
            item = self.read_item(id)
            return self.manager.for_output(item)

        def read_item(self, id: Any) -> Any:
            actor = auth.require_user()
            item = super().read_item(id)
            if not _is_manager(actor) and item.id != actor.id:
                raise ItemNotFound(type(self), id=id)
            return item

        @Route.GET("/me", rel="me", response_schema=fields.Inline("self"))
        def me(self) -> Any:
            """The current user."""
            return self.manager.for_output(auth.require_user())

        # -- writes ----------------------------------------------------------------

        def create(self, properties: dict[str, Any]) -> Any:
            actor = auth.require_user()
            if not _is_manager(actor):
                raise Forbidden()
            if not actor.is_superuser:
                granted = {key: value for key, value in properties.items() if value}
                _refuse_keys(granted, ("is_staff", "is_superuser", "roles"), "a superuser")
            _check_username(auth, properties.get("username"), None)
            password = properties.pop("password")
            auth.validate_password(password, properties)
            properties["password_hash"] = auth.hasher.hash(password)
            return super().create(properties)

        def update(self, properties: dict[str, Any], id: Any) -> Any:
            actor = auth.require_user()
            item = self.read_item(id)
            changing = _changing(item, properties)
            if item.id == actor.id:
                _refuse_keys(changing, ("is_active", "is_staff", "is_superuser", "roles"), None)
                if "password" in properties:
                    raise Forbidden(
                        "Change your own password through POST /user/me/password "
                        "with the old password"
                    )
            elif not actor.is_superuser:
                if item.is_staff or item.is_superuser:
                    raise Forbidden("Only a superuser may change a staff member or superuser")
                _refuse_keys(changing, ("is_staff", "is_superuser", "roles"), "a superuser")
            if "username" in changing:
                _check_username(auth, properties["username"], item)
            password = properties.pop("password", None)
            with self.manager.transaction():
                if password is not None:
                    candidate = {
                        "username": properties.get("username", item.username),
                        "email": properties.get("email", item.email),
                    }
                    auth.validate_password(password, candidate)
                    auth.set_password(item, password, validate=False)
                item = self.manager.update(item, properties, commit=False)
            return self.manager.for_output(item)

        def destroy(self, id: Any) -> Any:
            actor = auth.require_user()
            item = self.read_item(id)
            if item.id == actor.id:
                raise Forbidden("A user cannot delete itself")
            if not actor.is_superuser and (item.is_staff or item.is_superuser):
                raise Forbidden("Only a superuser may delete a staff member or superuser")
            return super().destroy(id)

        @Route.POST("/me/password", rel="changePassword")
        def change_password(
            self,
            old_password: _password_field(),  # type: ignore[valid-type]
            new_password: _password_field(),  # type: ignore[valid-type]
        ) -> Any:
            """Change the current user's password; every other session and every token ends."""
            user = auth.require_user()
            throttle = auth.throttle
            throttle.check(user.username, request.remote_addr)
            if not auth.hasher.verify(user.password_hash, old_password):
                auth.db.session.rollback()
                throttle.failed(user.username, request.remote_addr)
                raise ValidationError(
                    [{"path": ["old_password"], "message": "The old password is wrong"}],
                    message="The old password is wrong",
                )
            auth.validate_password(new_password, user, field="new_password")
            auth.set_password(user, new_password, validate=False)
            auth.db.session.commit()
            return None, 204

    return RoleResource, UserResource


def _logged_in(auth: Auth, *rels: str) -> dict[str, Any]:
    """Route decorators answering 401 to anonymous requests before the body is read."""

    def decorator(view: Any) -> Any:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            auth.require_user()
            return view(*args, **kwargs)

        return wrapper

    return {rel: decorator for rel in rels}


def _is_manager(user: Any) -> bool:
    return bool(user.is_staff or user.is_superuser)


def _require_superuser(auth: Auth) -> Any:
    user = auth.require_user()
    if not user.is_superuser:
        raise Forbidden()
    return user


def _only(resource: Any, user: Any) -> Condition:
    """A ``where`` condition matching only ``user``."""
    attribute = resource.manager.id_attribute
    field = fields.Integer(attribute=attribute)
    equal = filters_for_field(attribute, field, ["eq"])["eq"]
    return Condition(attribute, equal, user.id)


def _refuse_keys(properties: dict[str, Any], keys: tuple[str, ...], who: str | None) -> None:
    present = [key for key in keys if key in properties]
    if present:
        if who is None:
            raise Forbidden(f"A user cannot change its own {', '.join(present)}")
        raise Forbidden(f"Only {who} may set {', '.join(present)}")


def _changing(item: Any, properties: dict[str, Any]) -> dict[str, Any]:
    """The properties whose value differs from the item's (roles compared as sets)."""
    changing = {}
    for key, value in properties.items():
        current = getattr(item, key, None)
        if key == "roles":
            if {id(r) for r in current or ()} != {id(r) for r in value or ()}:
                changing[key] = value
        elif key == "password" or current != value:
            changing[key] = value
    return changing


def _check_username(auth: Auth, username: Any, item: Any) -> None:
    if not isinstance(username, str):
        return
    other = auth.find_user(username)
    if other is not None and other is not item:
        raise DuplicateKey(
            "A user with this username already exists",
            errors=[{"path": ["username"], "validationOf": {"unique": True}}],
        )
