"""The project's checks: its settings at start-up, and its readiness for deployment.

Each check has a stable id.  ``project.E...`` checks run whenever the project
builds its app: an error makes it refuse to start
(:class:`~potion.project.ImproperlyConfigured`).  ``deploy.E...`` and
``deploy.W...`` checks run with ``manage.py check --deploy``.  The resource
checks of :mod:`potion.checks` (``potion.E101`` ...) run when the Api is built;
``manage.py check`` lists them all.

========================  ==========================================================
``project.E001``          ``SECRET_KEY`` is not set
``project.E002``          an app of ``POTION_APPS`` cannot be imported
``project.E003``          the database URL is missing, malformed, or its driver is
                          not installed
``project.E004``          ``POTION_API_PREFIX`` or ``POTION_ADMIN_URL`` does not
                          start with ``/``
``project.E005``          ``POTION_ADMIN`` is on but ``POTION_AUTH`` is off (the admin
                          lets in the staff of contrib.auth)
``project.E006``          ``POTION_DEFAULT_PERMISSIONS`` is not a dict of action →
                          need string (or list of them)
``project.W001``          ``POTION_ADMIN`` is on but potion.contrib.admin is not
                          available
``deploy.E001``           ``DEBUG`` is on
``deploy.E002``           ``SECRET_KEY`` is the one ``startproject`` wrote, or short
``deploy.E003``           the database is behind the migrations (or unreachable)
``deploy.E004``           no allowed hosts (``TRUSTED_HOSTS``) are set
``deploy.W001``           the database is SQLite: one machine only
========================  ==========================================================
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import sqlalchemy as sa

from ..checks import ERROR, WARNING, Message, _error, _warning

if TYPE_CHECKING:
    from ..project import Project

__all__ = [
    "ERROR",
    "WARNING",
    "Message",
    "INSECURE_KEY_PREFIX",
    "settings_messages",
    "deploy_messages",
    "raise_on_errors",
]

#: ``startproject`` writes a secret key with this prefix: fine on a laptop, refused
#: by ``check --deploy`` (the key is in the repository).
INSECURE_KEY_PREFIX = "potion-insecure-"

#: The shortest secret key ``check --deploy`` accepts.
MIN_SECRET_KEY_LENGTH = 32


def raise_on_errors(messages: Iterable[Any]) -> None:
    """Raise :class:`~potion.project.ImproperlyConfigured` when a message is an error."""
    errors = [m for m in messages if m.is_error]
    if errors:
        from ..project import ImproperlyConfigured

        raise ImproperlyConfigured(messages=errors)


def settings_messages(project: Project, warnings: bool = False) -> list[Message]:
    """The findings of the ``project.*`` checks (warnings only when asked)."""
    found: list[Message] = []
    key = project.settings.get("SECRET_KEY")
    if not key or not isinstance(key, (str, bytes)):
        found.append(
            _error(
                "project.E001",
                "SECRET_KEY is not set: sessions and CSRF tokens need it",
                "set SECRET_KEY in the settings or the SECRET_KEY environment variable "
                "(python -c 'import secrets; print(secrets.token_urlsafe(50))' makes one)",
            )
        )
    for app in project.apps:
        if not _importable(app):
            found.append(
                _error(
                    "project.E002",
                    f"POTION_APPS names {app!r}, which is not an importable module",
                    f"check the spelling, or create it with: python manage.py startapp {app}",
                )
            )
    found.extend(_database_messages(project.database_url))
    for setting in ("POTION_API_PREFIX", "POTION_ADMIN_URL"):
        value = project.setting(setting)
        if value and not str(value).startswith("/"):
            found.append(
                _error(
                    "project.E004",
                    f"{setting} is {value!r}: a URL path starts with '/'",
                    f"write it as {'/' + str(value)!r}",
                )
            )
    if project.setting("POTION_ADMIN") and not project.setting("POTION_AUTH"):
        found.append(
            _error(
                "project.E005",
                "POTION_ADMIN is on but POTION_AUTH is off: the admin lets in the staff of "
                "contrib.auth, and there is none",
                "set POTION_AUTH = True, or POTION_ADMIN = False",
            )
        )
    problem = _permission_rules_problem(project.setting("POTION_DEFAULT_PERMISSIONS"))
    if problem:
        found.append(
            _error(
                "project.E006",
                f"POTION_DEFAULT_PERMISSIONS {problem}",
                'write it as Meta.permissions is written, e.g. {"read": "everyone", '
                '"create": "staff", "update": "staff", "delete": "staff"}, or None',
            )
        )
    if warnings and project.setting("POTION_ADMIN") and not _importable("potion.contrib.admin"):
        found.append(
            _warning(
                "project.W001",
                "POTION_ADMIN is on, but potion.contrib.admin is not available: no admin",
                "install a Potion that ships the admin, or set POTION_ADMIN = False",
            )
        )
    return found


def _permission_rules_problem(rules: Any) -> str | None:
    """What is wrong with ``rules`` as ``Meta.permissions``, or None."""
    if rules is None:
        return None
    if not isinstance(rules, Mapping):
        return f"is a {type(rules).__name__}, not a dict of action to need strings"
    for action, needs in rules.items():
        if not isinstance(action, str):
            return f"has the action {action!r}, which is not a string"
        values = [needs] if isinstance(needs, str) else needs
        if not isinstance(values, (list, tuple)) or not all(isinstance(n, str) for n in values):
            return f"gives {action!r} {needs!r}: a need string or a list of them is expected"
    return None


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _database_messages(url: str | None) -> list[Message]:
    if not url:
        return [
            _error(
                "project.E003",
                "No database: SQLALCHEMY_DATABASE_URI is not set",
                "set it in the settings, or the DATABASE_URL environment variable",
            )
        ]
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        return [
            _error(
                "project.E003",
                "The database URL cannot be read as a URL",
                "write it as dialect+driver://user:password@host/name, e.g. "
                "postgresql://app@localhost/app or sqlite:///db.sqlite3",
            )
        ]
    try:
        dialect = parsed.get_dialect()
        dialect.import_dbapi()
    except sa.exc.NoSuchModuleError:
        return [
            _error(
                "project.E003",
                f"The database URL names {parsed.drivername!r}, which SQLAlchemy does not know",
                "use postgresql://, mysql+pymysql:// or sqlite:/// (see docs/settings.md)",
            )
        ]
    except ImportError as exc:
        hint = {
            "psycopg": "pip install 'psycopg[binary]' (the postgres extra of Potion)",
            "psycopg2": "pip install psycopg2-binary, or write postgresql:// to use psycopg 3",
            "pymysql": "pip install pymysql (the mysql extra of Potion)",
            "MySQLdb": "write mysql+pymysql:// (PyMySQL, the mysql extra of Potion), "
            "or pip install mysqlclient",
        }.get(exc.name or "", f"pip install {exc.name}")
        return [
            _error(
                "project.E003",
                f"The database driver of {parsed.drivername!r} is not installed ({exc.name})",
                hint,
            )
        ]
    return []


def deploy_messages(project: Project) -> list[Message]:
    """The findings of the ``deploy.*`` checks (``manage.py check --deploy``)."""
    app = project.app
    found: list[Message] = []
    if app.config.get("DEBUG"):
        found.append(
            _error(
                "deploy.E001",
                "DEBUG is on: tracebacks and the debugger would be open to everyone",
                "unset DEBUG (or DEBUG=0) in the production environment",
            )
        )
    key = app.config.get("SECRET_KEY") or ""
    if isinstance(key, bytes):
        key = key.decode("latin-1")
    if key.startswith(INSECURE_KEY_PREFIX) or len(key) < MIN_SECRET_KEY_LENGTH:
        found.append(
            _error(
                "deploy.E002",
                "SECRET_KEY is the one startproject wrote into the repository, or shorter "
                f"than {MIN_SECRET_KEY_LENGTH} characters",
                "set the SECRET_KEY environment variable to a fresh random value "
                "(python -c 'import secrets; print(secrets.token_urlsafe(50))')",
            )
        )
    from .migrate import MigrationError, ensure_migrated

    try:
        ensure_migrated(project)
    except MigrationError as exc:
        found.append(_error("deploy.E003", str(exc).split("\n")[0], exc.hint))
    if not app.config.get("TRUSTED_HOSTS"):
        found.append(
            _error(
                "deploy.E004",
                "No allowed hosts: the app answers requests for any Host header",
                "set ALLOWED_HOSTS (TRUSTED_HOSTS in the settings) to the site's host names, "
                "e.g. ALLOWED_HOSTS=example.org,www.example.org",
            )
        )
    url = project.database_url or ""
    if url.startswith("sqlite"):
        found.append(
            _warning(
                "deploy.W001",
                "The database is SQLite: every worker must run on this one machine",
                "use PostgreSQL (or MariaDB) to serve from several machines",
            )
        )
    return found
