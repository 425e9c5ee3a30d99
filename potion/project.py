"""The project wrapper: a settings module and its apps become one Flask application.

A Potion *project* is a settings module plus *apps* (packages with ``models.py``
and ``resources.py``), as ``potion startproject`` lays them out.
:class:`Project` builds, from the settings, the Flask app, the Flask-SQLAlchemy
database (:data:`db`, on which the apps declare their models), the
:class:`~potion.Api` under ``/api``, contrib.auth (the identity source of the
permission layer), contrib.admin when enabled, and the migration environment::

    from potion.project import Project

    project = Project("mysite.settings")
    app = project.create_app()

Settings are Flask config keys; the ``POTION_*`` keys the wrapper reads have
their defaults in :data:`DEFAULTS` (docs/settings.md describes every key).
``manage.py`` (see :mod:`potion.cli.manage`) is a click group built from a project.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.util
import json
import os
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator, Mapping

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from . import __version__
from .api import Api
from .backends.sqlalchemy import ENGINE_OPTIONS, sqlite_foreign_keys

__all__ = [
    "DEFAULTS",
    "Project",
    "ImproperlyConfigured",
    "db",
    "env",
    "Environment",
    "SETTINGS_VARIABLE",
    "NAMING_CONVENTION",
]

#: The environment variable naming the settings module (``manage.py`` and
#: ``wsgi.py`` set it to ``"<project>.settings"`` unless it is set).
SETTINGS_VARIABLE = "POTION_SETTINGS"

#: Names for constraints and indexes, so that migrations can drop and alter them
#: (SQLite's batch mode needs a name to find a constraint again).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The database of the project: apps declare their models on it
#: (``from potion.project import db``; ``class Book(db.Model): ...``).
db = SQLAlchemy(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION))

#: Every ``POTION_*`` key of the project wrapper with its default (the core's keys
#: are in :mod:`potion.settings`, contrib.auth's in :mod:`potion.contrib.auth.settings`).
DEFAULTS: dict[str, Any] = {
    # The apps of the project: importable packages, each with models.py and
    # resources.py (and optionally commands.py), in the order they are loaded.
    "POTION_APPS": [],
    # URL prefix of the API.
    "POTION_API_PREFIX": "/api",
    # Title of the API's root schema (the project's name when None).
    "POTION_API_TITLE": None,
    # Install potion.contrib.auth: users, sessions, tokens, the identity of requests.
    "POTION_AUTH": True,
    # Mount potion.contrib.admin, the HTML admin, at POTION_ADMIN_URL.
    "POTION_ADMIN": True,
    "POTION_ADMIN_URL": "/admin",
    # The permission rules of the apps' model resources that declare no Meta.permissions
    # (a dict as Meta.permissions); None leaves those resources unchecked, open to anyone.
    # New projects set {"read": "everyone", "create": "staff", "update": "staff",
    # "delete": "staff"}.
    "POTION_DEFAULT_PERMISSIONS": None,
    # The folder of the project's alembic migrations (<project root>/migrations when None).
    "POTION_MIGRATIONS": None,
    # runserver and wsgi.py refuse to serve a database behind the migrations.
    "POTION_CHECK_MIGRATIONS": True,
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host/-Prefix
    # headers are trusted (werkzeug's ProxyFix); 0 trusts none.
    "POTION_PROXIES": 0,
}


class ImproperlyConfigured(RuntimeError):
    """The settings are wrong: the project refuses to start.

    ``messages`` holds the failed checks (see :mod:`potion.cli.checks`), each with
    its stable id; ``str()`` is one line per failed check, with its fix.
    """

    def __init__(self, message: str | None = None, messages: list[Any] | None = None) -> None:
        self.messages = list(messages or ())
        if message is None:
            message = "\n".join(str(m) for m in self.messages)
        super().__init__(message)


# -- reading settings from the environment ---------------------------------------

_UNSET: Any = object()
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
#: URL schemes as hosting services write them → the scheme SQLAlchemy reads with the
#: drivers the extras install.
_URL_SCHEMES = {"postgres://": "postgresql://", "mysql://": "mysql+pymysql://"}


class Environment:
    """Typed reads of environment variables, for settings modules (12-factor).

    ::

        from potion.project import env

        DEBUG = env.bool("DEBUG", False)
        SQLALCHEMY_DATABASE_URI = env.str("DATABASE_URL", "sqlite:///db.sqlite3")

    A variable that is set but cannot be read as the type asked for stops the
    project with :class:`ImproperlyConfigured`, naming the variable.
    """

    def __init__(self, environ: Mapping[builtins.str, builtins.str] | None = None) -> None:
        self._environ = environ

    @property
    def environ(self) -> Mapping[builtins.str, builtins.str]:
        return os.environ if self._environ is None else self._environ

    def _raw(self, name: builtins.str) -> builtins.str | None:
        return self.environ.get(name)

    def str(self, name: builtins.str, default: Any = _UNSET) -> Any:
        """The variable as a string; ``default`` when unset (required when no default)."""
        raw = self._raw(name)
        if raw is None:
            return self._default(name, default)
        return raw

    def bool(self, name: builtins.str, default: Any = _UNSET) -> Any:
        """``1/true/yes/on`` or ``0/false/no/off`` (any case)."""
        raw = self._raw(name)
        if raw is None:
            return self._default(name, default)
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"The environment variable {name} must be true or false: {raw!r}"
        )

    def int(self, name: builtins.str, default: Any = _UNSET) -> Any:
        """An integer."""
        raw = self._raw(name)
        if raw is None:
            return self._default(name, default)
        try:
            return int(raw.strip())
        except ValueError:
            raise ImproperlyConfigured(
                f"The environment variable {name} must be an integer: {raw!r}"
            ) from None

    def list(self, name: builtins.str, default: Any = _UNSET) -> Any:
        """A comma-separated list (blank items dropped)."""
        raw = self._raw(name)
        if raw is None:
            return self._default(name, default)
        return [item.strip() for item in raw.split(",") if item.strip()]

    def json(self, name: builtins.str, default: Any = _UNSET) -> Any:
        """A JSON value (for dicts such as ``SQLALCHEMY_ENGINE_OPTIONS``)."""
        raw = self._raw(name)
        if raw is None:
            return self._default(name, default)
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"The environment variable {name} must be JSON: {exc}"
            ) from None

    def database_url(self, name: builtins.str = "DATABASE_URL", default: Any = _UNSET) -> Any:
        """A database URL as hosts write it, turned into the form SQLAlchemy reads.

        ``postgres://`` becomes ``postgresql://`` (SQLAlchemy then uses psycopg 3, which
        the ``postgres`` extra installs) and a bare ``mysql://`` becomes
        ``mysql+pymysql://`` (PyMySQL, which the ``mysql`` extra installs).  A URL that
        names its driver (``mysql+mysqldb://``, ``postgresql+psycopg2://``) is kept.
        """
        value = self.str(name, default)
        if isinstance(value, str):
            for written, read in _URL_SCHEMES.items():
                if value.startswith(written):
                    return read + value[len(written) :]
        return value

    @staticmethod
    def _default(name: builtins.str, default: Any) -> Any:
        if default is _UNSET:
            raise ImproperlyConfigured(f"Set the environment variable {name}")
        return default


#: The :class:`Environment` of the process.
env = Environment()


# -- the project -----------------------------------------------------------------

#: The projects :meth:`Project.from_environment` made, by settings module.
_PROJECTS: dict[str, Project] = {}


def _import_settings(path: str) -> ModuleType:
    try:
        return importlib.import_module(path)
    except ImportError as exc:
        if exc.name is not None and (path == exc.name or path.startswith(exc.name + ".")):
            raise ImproperlyConfigured(
                f"The settings module {path!r} cannot be imported (set {SETTINGS_VARIABLE} "
                "to the dotted name of your settings module)"
            ) from None
        raise


class Project:
    """A Potion project: its settings, apps, database, Api, auth, admin and migrations.

    :param settings: the settings: a module, the dotted name of one, or a mapping of
        setting names to values.  Only upper-case names are settings.
    :param overrides: settings that win over the module's (tests use them).
    :param database: the Flask-SQLAlchemy object the apps declare their models on
        (:data:`db` by default).

    The Flask app is built on the first :meth:`create_app` (or :attr:`app`): a
    resource belongs to one Api, so a process holds one app per project.
    """

    def __init__(
        self,
        settings: ModuleType | str | Mapping[str, Any],
        *,
        overrides: Mapping[str, Any] | None = None,
        database: SQLAlchemy | None = None,
    ) -> None:
        if isinstance(settings, str):
            settings = _import_settings(settings)
        self.settings_module: ModuleType | None = None
        if isinstance(settings, ModuleType):
            self.settings_module = settings
            values = {k: getattr(settings, k) for k in dir(settings) if k.isupper()}
        else:
            values = {k: v for k, v in dict(settings).items() if k.isupper()}
        values.update(overrides or {})
        self.settings: dict[str, Any] = values
        self.db = database if database is not None else db
        self._app: Flask | None = None
        self.api: Api | None = None
        self.auth: Any = None
        self.admin: Any = None

    @classmethod
    def from_environment(cls, default: str | None = None, **kwargs: Any) -> Project:
        """The project whose settings module ``$POTION_SETTINGS`` names (else ``default``).

        Without ``kwargs``, every call for one settings module returns the same
        project (and so the same app).
        """
        path = os.environ.get(SETTINGS_VARIABLE) or default
        if not path:
            raise ImproperlyConfigured(
                f"Set {SETTINGS_VARIABLE} to the dotted name of the settings module "
                "(manage.py sets it to <project>.settings)"
            )
        if kwargs:
            return cls(path, **kwargs)
        project = _PROJECTS.get(path)
        if project is None:
            project = _PROJECTS[path] = cls(path)
        return project

    # -- what the settings say -----------------------------------------------------

    def setting(self, key: str) -> Any:
        """The value of a setting, else its default (the wrapper's, the core's, auth's)."""
        if key in self.settings:
            return self.settings[key]
        if key in DEFAULTS:
            return DEFAULTS[key]
        from .settings import DEFAULTS as CORE_DEFAULTS

        return CORE_DEFAULTS.get(key)

    @property
    def package(self) -> str | None:
        """The dotted name of the package that holds the settings module."""
        if self.settings_module is None:
            return None
        return self.settings_module.__name__.rpartition(".")[0] or None

    @property
    def name(self) -> str:
        """The project's name: the top-level package of its settings module."""
        if self.settings_module is None:
            return str(self.settings.get("POTION_PROJECT_NAME", "project"))
        return self.settings_module.__name__.partition(".")[0]

    @property
    def root(self) -> Path:
        """The folder holding the project's top-level package (and manage.py)."""
        module = self.settings_module
        if module is None or getattr(module, "__file__", None) is None:
            return Path.cwd()
        path = Path(module.__file__).resolve().parent  # type: ignore[arg-type]
        for _ in range(module.__name__.count(".")):
            path = path.parent
        return path

    @property
    def apps(self) -> list[str]:
        """The dotted names of the project's apps, from ``POTION_APPS``."""
        apps = self.setting("POTION_APPS") or []
        if isinstance(apps, str):
            apps = [apps]
        return [str(app) for app in apps]

    @property
    def migrations_dir(self) -> Path:
        """The folder of the alembic migrations (``POTION_MIGRATIONS``)."""
        configured = self.setting("POTION_MIGRATIONS")
        if configured:
            path = Path(configured)
            return path if path.is_absolute() else self.root / path
        return self.root / "migrations"

    @property
    def database_url(self) -> str | None:
        """The main database's URL (``SQLALCHEMY_DATABASE_URI``)."""
        url = self.settings.get("SQLALCHEMY_DATABASE_URI")
        return None if url is None else str(url)

    def app_module(self, app: str, name: str) -> ModuleType | None:
        """``<app>.<name>`` imported (``models``, ``resources``, ``commands``), or None
        when the app has no such module.  Errors inside the module propagate."""
        dotted = f"{app}.{name}"
        try:
            spec = importlib.util.find_spec(dotted)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            return None
        return importlib.import_module(dotted)

    # -- building the app ----------------------------------------------------------

    @property
    def app(self) -> Flask:
        """The project's Flask app (built on first use)."""
        return self.create_app()

    def create_app(self) -> Flask:
        """The Flask app of the project: an app factory for ``flask`` and gunicorn.

        Refuses to build (:class:`ImproperlyConfigured`) when a settings check fails.
        """
        if self._app is not None:
            return self._app
        from .cli.checks import raise_on_errors, settings_messages

        raise_on_errors(settings_messages(self))
        app = Flask(self.package or self.name)
        app.config.update(DEFAULTS)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(ENGINE_OPTIONS)  # pre-ping
        app.config.update(self.settings)
        app.extensions["potion_project"] = self

        for name in self.apps:
            self.app_module(name, "models")
        self.db.init_app(app)
        with app.app_context():  # SQLite checks foreign keys as the servers do
            for engine in self.db.engines.values():
                sqlite_foreign_keys(engine)

        api = Api(
            prefix=self.setting("POTION_API_PREFIX") or None,
            title=self.setting("POTION_API_TITLE") or self.name,
        )
        self.api = api
        if "POTION_AUTH_LOGIN_REDIRECT" not in app.config:
            # after the login page: the admin when there is one, else the API's schema
            admin = self.setting("POTION_ADMIN") and _admin_module() is not None
            prefix = self.setting("POTION_API_PREFIX") or ""
            app.config["POTION_AUTH_LOGIN_REDIRECT"] = (
                self.setting("POTION_ADMIN_URL") + "/" if admin else prefix + "/schema"
            )
        if self.setting("POTION_AUTH"):
            from .contrib.auth import Auth

            self.auth = Auth(
                db=self.db, api=api, user_model=app.config.get("POTION_AUTH_USER_MODEL")
            )
            self.auth.init_app(app)
        api.init_app(app)
        default_permissions = self.setting("POTION_DEFAULT_PERMISSIONS")
        for resource in self._resources():
            if default_permissions is not None:
                _default_permissions(resource, default_permissions)
            api.add_resource(resource)
        api.check()  # every resource is added: references by name must resolve now
        if self.setting("POTION_ADMIN"):
            self.admin = _install_admin(app, api, self.auth)
        proxies = int(self.setting("POTION_PROXIES") or 0)
        if proxies:
            from werkzeug.middleware.proxy_fix import ProxyFix

            app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
                app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies
            )
        self._app = app
        return app

    def _resources(self) -> Iterator[Any]:
        from .resource import ModelResource, Resource

        for name in self.apps:
            module = self.app_module(name, "resources")
            if module is None:
                continue
            listed = getattr(module, "__resources__", None)
            if listed is not None:
                yield from listed
                continue
            for value in list(vars(module).values()):
                if (
                    isinstance(value, type)
                    and issubclass(value, Resource)
                    and value.__module__ == module.__name__
                    and not (
                        issubclass(value, ModelResource)
                        and value.manager is None
                        and value.meta.get("model") is None
                    )
                ):
                    if value.api is not None:
                        raise ImproperlyConfigured(
                            f"{value.__name__} is already served by another Api in this "
                            "process: a process holds one app per project (use one Project, "
                            "e.g. Project.from_environment(), which returns the same one)"
                        )
                    yield value

    def wsgi(self) -> Flask:
        """The app, for ``wsgi.py``: refuses a database behind the migrations."""
        app = self.create_app()
        if self.setting("POTION_CHECK_MIGRATIONS"):
            from .cli.migrate import ensure_migrated

            ensure_migrated(self)
        return app

    def models(self) -> dict[str, type]:
        """Every model class declared on the project's database, by class name."""
        registry = self.db.Model.registry._class_registry  # type: ignore[attr-defined]
        return {
            name: value
            for name, value in registry.items()
            if isinstance(value, type) and not name.startswith("_")
        }

    def __repr__(self) -> str:
        return f"<Project {self.name!r} (Potion {__version__})>"


def _default_permissions(resource: Any, rules: Mapping[str, Any]) -> None:
    """Give ``rules`` to a model resource of the apps that declares no ``Meta.permissions``."""
    from .permissions import declares_permissions
    from .resource import ModelResource

    if not issubclass(resource, ModelResource) or declares_permissions(resource):
        return
    if resource.manager is not None:
        resource.manager.declare_permissions(rules)
    else:  # its manager is made when it is added, from its Meta
        resource.meta.permissions = dict(rules)


def _admin_module() -> ModuleType | None:
    try:
        if importlib.util.find_spec("potion.contrib.admin") is None:
            return None
    except ImportError:
        return None
    return importlib.import_module("potion.contrib.admin")


def _install_admin(app: Flask, api: Api, auth: Any) -> Any:
    admin_module = _admin_module()
    if admin_module is None:
        app.logger.debug("potion.contrib.admin is not installed: no admin is mounted")
        return None
    return admin_module.Admin(app, api=api, auth=auth)
