"""Django REST Framework: the benchmark's API as DRF's documentation teaches it.

``ModelSerializer``, ``ModelViewSet`` mixins behind a router, a django-filter
``FilterSet`` (``?year__gt=2000&rating__gte=3.0``) and ``OrderingFilter``
(``?ordering=title``), page-number pagination (the total in
``X-Total-Count``).  Django is configured in this process for the benchmark
only: the workload's SQLite file, persistent connections, no middleware and no
authentication (nor does any other contestant authenticate).
"""

from __future__ import annotations

from typing import Any

from ..workload import Workload

__all__ = ["create_server"]


def configure(workload: Workload) -> None:
    """Configure and set up Django once for this process, on ``workload``'s database."""
    import django
    from django.conf import settings

    database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(workload.path),
        "CONN_MAX_AGE": None,
        "OPTIONS": {"init_command": "PRAGMA synchronous=NORMAL"},
    }
    if settings.configured:
        from django.db import connections

        connections["default"].close()
        connections["default"].settings_dict.update(database)
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-only",
        ALLOWED_HOSTS=["localhost"],
        ROOT_URLCONF="bench.drf.urls",
        INSTALLED_APPS=["rest_framework", "django_filters", "bench.drf.apps.BenchDRFConfig"],
        MIDDLEWARE=[],
        DATABASES={"default": database},
        USE_TZ=True,
        REST_FRAMEWORK={
            "DEFAULT_AUTHENTICATION_CLASSES": [],
            "DEFAULT_PERMISSION_CLASSES": [],
            "UNAUTHENTICATED_USER": None,
            "DEFAULT_PAGINATION_CLASS": "bench.drf.pagination.TotalCountPagination",
            "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
            "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        },
    )
    django.setup()


def create_server(workload: Workload) -> Any:
    configure(workload)
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections
    from django.db.backends.signals import connection_created

    from ..contestants import WSGIServer, sqlite_tracer

    connection = connections["default"]
    server = WSGIServer(WSGIHandler(), connection.close)
    trace = sqlite_tracer(server.count)

    def traced(sender: Any, connection: Any, **kwargs: Any) -> None:
        connection.connection.set_trace_callback(trace)

    connection_created.connect(traced, weak=False)
    connection.close()  # a connection opened before is closed: the next one is traced
    return server
