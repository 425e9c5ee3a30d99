"""The :class:`Admin` extension: mounts the HTML admin of an Api on a Flask app."""

from __future__ import annotations

from typing import Any, Mapping

from flask import Flask, current_app

from .registry import AdminResource

__all__ = ["Admin", "get_admin", "DEFAULT_URL"]

#: Where the admin is mounted unless told otherwise (``POTION_ADMIN_URL``).
DEFAULT_URL = "/admin"
#: The admin's name when neither ``Admin(title=...)`` nor the Api has one.
DEFAULT_TITLE = "Administration"


class Admin:
    """The HTML admin of an :class:`~potion.Api`, for the staff of contrib.auth.

    :param app: the Flask app; ``init_app`` is called when given.
    :param api: the Api whose resources the admin shows (required).
    :param auth: the :class:`~potion.contrib.auth.Auth` of the app; found on the
        app when not given.  Only its logged-in staff and superusers enter.
    :param url_prefix: where the admin is mounted; else the app's
        ``POTION_ADMIN_URL``, else ``/admin``.
    :param title: the name in the admin's header (default: the Api's title, else
        ``"Administration"``).
    :param options: ``{resource name: {option: value}}``, over each resource's
        ``Meta.admin`` (see :mod:`potion.contrib.admin.registry`).

    The admin reads and writes only through the Api's routes, as the logged-in
    user (see :mod:`potion.contrib.admin.dispatch`).
    """

    def __init__(
        self,
        app: Flask | None = None,
        api: Any = None,
        auth: Any = None,
        url_prefix: str | None = None,
        *,
        title: str | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.api = api
        self.auth = auth
        self.url_prefix = url_prefix
        self._title = title
        self.options = {name: dict(value) for name, value in (options or {}).items()}
        self._resources: dict[Any, AdminResource] = {}
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Mount the admin on ``app`` (needs the Api and contrib.auth installed)."""
        if self.api is None:
            raise TypeError("Admin needs the Api whose resources it shows: Admin(app, api=api)")
        if self.auth is None:
            self.auth = app.extensions.get("potion_auth")
            if self.auth is None:
                raise RuntimeError(
                    "potion.contrib.admin needs potion.contrib.auth on the app for its logins: "
                    "Auth(app, db=db, api=api) before Admin(app, api=api)"
                )
        prefix = self.url_prefix or app.config.get("POTION_ADMIN_URL") or DEFAULT_URL
        if not prefix.startswith("/"):
            raise ValueError(f"The admin's URL must start with '/': {prefix!r}")
        self.url_prefix = prefix.rstrip("/") or "/"
        from .views import make_blueprint

        app.register_blueprint(make_blueprint(self), url_prefix=self.url_prefix)
        app.extensions["potion_admin"] = self
        self.resources()  # wrong admin options of the resources known now stop the start

    @property
    def title(self) -> str:
        """The name in the admin's header: ``Admin(title=...)``, else the Api's title
        (``POTION_API_TITLE`` on a project), else ``"Administration"``."""
        return str(self._title or getattr(self.api, "title", None) or DEFAULT_TITLE)

    @title.setter
    def title(self, value: str | None) -> None:
        self._title = value

    # -- the resources -------------------------------------------------------------------

    def resources(self) -> list[AdminResource]:
        """Every resource of the Api the admin can show (a model resource with a
        list route and not ``Meta.admin = False``): the application's own in the
        order they were added to the Api, then contrib.auth's (users, roles)."""
        own: list[AdminResource] = []
        auth: list[AdminResource] = []
        auth_resources = set((getattr(self.auth, "resources", None) or {}).values())
        for resource in list(self.api.resources.values()):
            entry = self.resource(resource)
            if entry is not None:
                (auth if resource in auth_resources else own).append(entry)
        return own + auth

    def resource(self, resource: Any) -> AdminResource | None:
        """The admin's view of ``resource`` (a class or a name), or None when hidden."""
        if isinstance(resource, str):
            resource = self.api.resources.get(resource)
            if resource is None:
                return None
        if resource in self._resources:
            return self._resources[resource]
        entry = None
        meta_options = resource.meta.get("admin")
        if (
            meta_options is not False
            and getattr(resource, "manager", None) is not None
            and resource.schema is not None
            and "instances" in resource.routes
            and "self" in resource.routes
        ):
            options = dict(meta_options or {})
            options.update(self.options.get(resource.meta.name, {}))
            entry = AdminResource(resource, options)
        self._resources[resource] = entry  # type: ignore[assignment]
        return entry


def get_admin(app: Flask | None = None) -> Admin:
    """The :class:`Admin` mounted on ``app`` (the current app by default)."""
    app = app or current_app
    try:
        return app.extensions["potion_admin"]  # type: ignore[no-any-return]
    except KeyError:
        raise RuntimeError("potion.contrib.admin is not mounted on this app") from None
