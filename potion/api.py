"""The Api: registers resources on a Flask app or blueprint and answers errors in JSON."""

from __future__ import annotations

import functools
import re
from typing import Any, Callable, Iterable

from flask import Blueprint, Flask, Response, current_app, request
from flask.globals import request_ctx
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException

from . import checks
from .backends import Manager, manager_for_model
from .encoding import PotionJSONProvider, json_response
from .exceptions import InternalError, PotionException
from .resource import HYPER_SCHEMA, ModelResource, Resource
from .routes import serialized_view
from .settings import DEFAULTS, setting

__all__ = ["Api"]


class Api:
    """The Potion extension: a set of resources served under one URL prefix.

    :param app: a Flask app or blueprint; ``init_app`` is called when given.
    :param decorators: view decorators applied to every route (and, unless
        ``POTION_DECORATE_SCHEMA_ENDPOINTS`` is false, to the schema routes).
    :param prefix: URL prefix of every route, e.g. ``/api``.
    :param title: title of the root schema.
    :param description: description of the root schema.
    :param default_manager: manager class of ModelResources without ``Meta.manager``.
        Without one, the backend follows the model: peewee models get the peewee
        manager, MongoEngine documents the MongoEngine one, other models the
        SQLAlchemy manager.
    :param identity_source: a callable returning the current request's
        :class:`~potion.permissions.Identity` (None when anonymous); the
        permission layer reads it.  Also settable later as ``api.identity_source``.
    """

    def __init__(
        self,
        app: Flask | Blueprint | None = None,
        decorators: Iterable[Callable[..., Any]] | None = None,
        prefix: str | None = None,
        title: str | None = None,
        description: str | None = None,
        default_manager: Any = None,
        *,
        identity_source: Callable[[], Any] | None = None,
    ) -> None:
        if isinstance(decorators, str):
            raise TypeError(
                f"Api(app, {decorators!r}): the second argument is decorators (Flask-Potion's "
                f"order is app, decorators, prefix); write Api(app, prefix={decorators!r})"
            )
        if prefix and not prefix.startswith("/"):
            raise ValueError("The Api prefix must start with '/'")
        self.app: Flask | None = None
        self.blueprint: Blueprint | None = None
        self.prefix = (prefix or "").rstrip("/")
        self.decorators = list(decorators or ())
        self.title = title
        self.description = description
        self._default_manager = default_manager
        self.identity_source = identity_source
        self.resources: dict[str, Any] = {}
        self.endpoints: set[str] = set()
        self._rules: list[tuple[str, str, Callable[..., Any], str, bool]] = []
        self._options_paths: set[tuple[Flask, str]] = set()
        self._endpoint_prefix = ""
        self._schema_document: dict[str, Any] | None = None
        self._checked = False  # the checks that wait for every resource have passed
        self._reported: set[Any] = set()  # check warnings already sent
        self._add_rule("/schema", "schema", self._schema_view, "GET", True)
        if app is not None:
            self.init_app(app)

    # -- set-up ------------------------------------------------------------------

    @property
    def default_manager(self) -> Any:
        """The manager given to the Api, else the SQLAlchemy one (if installed)."""
        return self._default_manager or manager_for_model(None)

    @default_manager.setter
    def default_manager(self, value: Any) -> None:
        self._default_manager = value

    def init_app(self, app: Flask | Blueprint) -> None:
        """Register the resources on ``app`` (a Flask app or a blueprint)."""
        if isinstance(app, Blueprint):
            self.blueprint = app
            app.record(self._on_blueprint_registered)
            return
        self._attach(app)

    def _on_blueprint_registered(self, state: Any) -> None:
        if self.app is not None:
            raise RuntimeError(
                f"The Api on blueprint {state.blueprint.name!r} is already registered: "
                "its resources have one URL each, so the blueprint can be registered once"
            )
        url_prefix = (state.url_prefix or "").rstrip("/")
        self.prefix = url_prefix + self.prefix
        self._endpoint_prefix = state.blueprint.name + "."
        for resource in self.resources.values():
            resource.route_prefix = f"{self.prefix}/{resource.meta.name}"
            resource._schema_document = None
        self._attach(state.app)

    def _attach(self, app: Flask) -> None:
        self.app = app
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        try:
            self._enforce(
                [m for r in self.resources.values() for m in checks.resource_messages(r, False)]
            )
        except checks.ConfigurationError:
            self.app = None
            raise
        app.before_request(self._check_resolved)
        if setting(app, "POTION_JSON_PROVIDER") and type(app.json) is DefaultJSONProvider:
            app.json = PotionJSONProvider(app)
        apis = app.extensions.setdefault("potion", [])
        if not apis:
            app.register_error_handler(Exception, _handle_error)
            # registered after the store's extension (SQLAlchemy(app)): runs before its teardown
            app.teardown_appcontext(_release_stores)
        if self.blueprint is None and any(other.blueprint is None for other in apis):
            # A further Api on the same app: its endpoints get a prefix of their
            # own (``/v2`` → ``v2_schema``, ``v2_book_self``) so they cannot clash.
            slug = re.sub(r"\W+", "_", self.prefix).strip("_") or f"api{len(apis)}"
            self._endpoint_prefix = slug + "_"
        apis.append(self)
        app.extensions.pop("potion_releases", None)
        for entry in self._rules:
            self._register(app, *entry)

    def check(self) -> list[Any]:
        """Run every start-up check now (:mod:`potion.checks`), once all resources
        are added: references must resolve.

        Raises :class:`~potion.checks.ConfigurationError` listing the errors; warns
        of the warnings not reported yet; returns the findings.  The Api runs it
        before the first request; a project runs it when it builds its app.
        """
        found = checks.run_checks(self)
        self._enforce(found)
        self._checked = True
        self._hook_check(False)
        return found

    def _hook_check(self, hooked: bool) -> None:
        """Whether requests to the app first run the checks (until they pass once).

        A passed check leaves the app's ``before_request`` functions, so that
        requests do not pay for it; a resource added later puts it back.  The list
        is replaced, not changed, so a request going through it is not disturbed.
        """
        app = self.app
        if app is None:
            return
        funcs = app.before_request_funcs
        current = funcs.get(None, [])
        present = self._check_resolved in current
        if hooked and not present:
            funcs[None] = [*current, self._check_resolved]
        elif not hooked and present:
            remaining = [f for f in current if f != self._check_resolved]
            if remaining:
                funcs[None] = remaining
            else:
                del funcs[None]

    def _enforce(self, messages: list[Any]) -> None:
        new = [m for m in checks.unsilenced(messages, self.app) if m not in self._reported]
        checks.raise_or_warn(new)
        self._reported.update(new)

    def _check_resolved(self) -> None:
        """Before the first request: every reference must resolve (the resources
        are all added by now); a misconfigured Api raises, as at start-up."""
        if not self._checked:
            self.check()

    def _add_rule(
        self, rule: str, endpoint: str, view: Callable[..., Any], method: str, schema_route: bool
    ) -> None:
        self._rules.append((rule, endpoint, view, method, schema_route))
        if self.app is not None:
            self._register(self.app, rule, endpoint, view, method, schema_route)

    def _register(
        self, app: Flask, rule: str, endpoint: str, view: Any, method: str, schema_route: bool
    ) -> None:
        full_endpoint = self._endpoint_prefix + endpoint
        self.endpoints.add(full_endpoint)
        view = self._decorate(app, view, schema_route)
        path = self.prefix + rule
        methods = [method]
        if (app, path) not in self._options_paths:
            # the first route at a URL answers OPTIONS for all of them (outside the
            # Api's decorators: a CORS preflight carries no credentials)
            self._options_paths.add((app, path))
            methods.append("OPTIONS")
            view = _answering_options(view)
        app.add_url_rule(
            path, full_endpoint, view, methods=methods, provide_automatic_options=False
        )

    def _decorate(
        self, app: Flask, view: Callable[..., Any], schema_route: bool
    ) -> Callable[..., Any]:
        if schema_route and not setting(app, "POTION_DECORATE_SCHEMA_ENDPOINTS"):
            return view
        for decorator in self.decorators:
            view = decorator(view)
        return view

    # -- resources ---------------------------------------------------------------

    def add_resource(self, resource: Any) -> None:
        """Register a resource class and all its routes."""
        if resource.api is self:
            return
        if resource.api is not None:
            raise RuntimeError(
                f"Resource {resource.__name__} is already registered with another Api: a "
                "resource class belongs to one Api. To serve it from several apps, declare "
                "one module-level Api and call api.init_app(app) in each app; to serve it "
                f"from two Apis of one app, register a subclass (class V2{resource.__name__}"
                f"({resource.__name__}): ...) on the second one"
            )
        if issubclass(resource, ModelResource) and resource.manager is None:
            model = resource.meta.get("model")
            manager = resource.meta.get("manager") or self._default_manager
            if manager is None and model is not None:
                manager = manager_for_model(model)
            if manager is None:
                raise RuntimeError(
                    f"{resource.__name__} has no manager: set Meta.model (its backend follows "
                    "the model), Meta.manager, or the Api's default_manager"
                )
            manager(resource, model)
        if resource.manager is None and resource.read_item is Resource.read_item:
            item_routes = sorted(r.rel for r in resource.routes.values() if r.is_item_route)
            if item_routes:
                raise RuntimeError(
                    f"{resource.__name__} has item routes ({', '.join(item_routes)}) but no "
                    "manager to load items: make it a ModelResource or override read_item(id)"
                )
        name = resource.meta.name
        if name in self.resources:
            raise RuntimeError(
                f"Two resources are named {name!r}: {self.resources[name].__name__} and "
                f"{resource.__name__}; set Meta.name on one of them"
            )
        resource.api = self
        resource.route_prefix = f"{self.prefix}/{name}"
        resource._schema_document = None
        self.resources[name] = resource
        self._schema_document = None
        self._checked = False
        self._hook_check(True)
        if self.app is not None:
            self.app.extensions.pop("potion_releases", None)
        try:
            self._check_permissions(resource)
            if self.app is not None:
                self._enforce(checks.resource_messages(resource, strict=False))
        except checks.ConfigurationError:
            del self.resources[name]
            resource.api = resource.route_prefix = None
            raise

        decorators = resource.meta.get("route_decorators") or {}
        for rel, route in resource.routes.items():
            endpoint = f"{name}_{rel}"
            view = route.view_factory(endpoint, resource)
            if rel in decorators:
                view = decorators[rel](view)
            relative = route.rule_factory(resource, relative=True)
            self._add_rule(
                f"/{name}/{relative}" if relative else f"/{name}",
                endpoint,
                serialized_view(view, endpoint),
                route.method or "GET",
                rel == "describedBy",
            )

    def _check_permissions(self, resource: Any) -> None:
        """Refuse, at start-up, routes whose action has no rule and rules that
        inherit in a cycle (checked again as each resource joins)."""
        permissions = getattr(resource.manager, "permissions", None)
        try:
            for route in resource.routes.values():
                action = getattr(route, "action", None)
                if action is None:
                    continue
                if permissions is None:
                    raise RuntimeError(
                        f"{resource.__name__}: route {route.rel!r} declares action "
                        f"{action!r}, but the resource has no manager, so no permissions"
                    )
                permissions.rule(action)  # raises for an action without a rule
            for registered in self.resources.values():
                registered_permissions = getattr(registered.manager, "permissions", None)
                if registered_permissions is not None:
                    registered_permissions.check_inheritance()
        except RuntimeError as error:
            raise checks.ConfigurationError([checks.permission_message(resource, error)]) from error

    # -- the root schema ---------------------------------------------------------

    def schema_document(self) -> dict[str, Any]:
        if self._schema_document is None:
            document: dict[str, Any] = {"$schema": HYPER_SCHEMA}
            if self.title is not None:
                document["title"] = self.title
            if self.description is not None:
                document["description"] = self.description
            document["properties"] = {
                name: {"$ref": f"{resource.route_prefix}/schema#"}
                for name, resource in sorted(self.resources.items())
            }
            self._schema_document = document
        return self._schema_document

    def _schema_view(self) -> Any:
        return json_response(self.schema_document())

    def owns_request(self) -> bool:
        """Whether the current request is addressed to this Api."""
        if request.url_rule is not None:
            return request.endpoint in self.endpoints
        path = request.path
        if self.prefix:
            return path == self.prefix or path.startswith(self.prefix + "/")
        first = path.lstrip("/").split("/", 1)[0]
        return first in self.resources or first == "schema"


def _answering_options(view: Callable[..., Any]) -> Callable[..., Any]:
    """``view``, answering ``OPTIONS`` itself: 204 with the URL's methods in ``Allow``."""

    def answer(**kwargs: Any) -> Any:
        if request.method == "OPTIONS":
            adapter = request_ctx.url_adapter
            allowed = adapter.allowed_methods() if adapter is not None else ["OPTIONS"]
            response = Response(status=204, headers={"Allow": ", ".join(sorted(allowed))})
            del response.headers["Content-Type"]
            return response
        return view(**kwargs)

    functools.update_wrapper(answer, view)
    return answer


def _handle_error(error: Exception) -> Any:
    """Answer errors of API routes in JSON; leave the host app's other pages alone.

    An exception of a data store (raised by a manager, a view, a signal receiver)
    is classified by the backends the Api serves: an outage is a 503, logged with
    its cause.
    """
    if isinstance(error, checks.ConfigurationError):
        raise error  # not an answer: the Api is misconfigured (logged, or raised in tests)
    apis = current_app.extensions.get("potion", [])
    if not isinstance(error, PotionException):
        if not any(api.owns_request() for api in apis):
            if isinstance(error, HTTPException):
                return error
            raise error
        translated = _store_error(apis, error)
        if translated is not None:
            translated.__cause__ = error
            _recover(apis, error)
            error = translated
    if isinstance(error, PotionException):
        if error.status_code >= 500:
            cause = error.__cause__
            current_app.logger.error(
                "%s %s answered %s: %s%s",
                request.method,
                request.path,
                error.status_code,
                error.message or type(error).__name__,
                f" ({type(cause).__name__}: {cause})" if cause is not None else "",
                exc_info=error,
            )
        return error.get_response()
    if isinstance(error, HTTPException):
        allowed = getattr(error, "valid_methods", None)
        headers = {"Allow": ", ".join(allowed)} if allowed else None
        return json_response(
            {"message": error.description, "status": error.code}, error.code or 500, headers
        )
    current_app.logger.error(
        "Unhandled error in %s %s", request.method, request.path, exc_info=error
    )
    return InternalError(
        "The server could not complete the request because of an internal error."
    ).get_response()


def _store_error(apis: list[Api], error: Exception) -> PotionException | None:
    """The answer of the first backend that recognises ``error`` as its store's failure."""
    seen: set[type] = set()
    for api in apis:
        for resource in api.resources.values():
            manager = type(resource.manager)
            classify = getattr(manager, "store_error", None)
            if classify is None or manager in seen:
                continue
            seen.add(manager)
            translated = classify(error)
            if translated is not None:
                return translated
    return None


def _recover(apis: list[Api], error: Exception) -> None:
    """Let every manager drop what the outage broke (a connection that is gone)."""
    for api in apis:
        for resource in api.resources.values():
            recover = getattr(resource.manager, "recover", None)
            if recover is None:
                continue
            try:
                recover(error)
            except Exception as exc:  # recovering is a courtesy: never a second error
                current_app.logger.warning("Recovering from %s failed: %s", error, exc)


def _release_stores(error: BaseException | None) -> None:
    """End every store's use by the request; a failure is logged, never raised.

    The response is already computed: a rollback that fails on a dead connection
    must not turn it into an error page.
    """
    for release in _releases(current_app._get_current_object()):  # type: ignore[attr-defined]
        try:
            release()
        except Exception as exc:
            current_app.logger.warning("Releasing the data store failed: %s", exc)


def _releases(app: Flask) -> list[Callable[[], None]]:
    """The ``release`` of one manager per store the app's Apis serve (managers of one
    store share a transaction key), worked out again only when resources are added."""
    cached = app.extensions.get("potion_releases")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    apis = app.extensions.get("potion", [])
    releases: list[Callable[[], None]] = []
    seen: set[Any] = set()
    for api in apis:
        for resource in api.resources.values():
            manager = resource.manager
            release = getattr(manager, "release", None)
            if release is None or getattr(type(manager), "release", None) is Manager.release:
                continue  # no store to release (the default does nothing)
            try:
                key = (type(manager), manager._transaction_key())
            except Exception:
                key = (type(manager), id(manager))
            if key not in seen:
                seen.add(key)
                releases.append(release)
    app.extensions["potion_releases"] = releases  # dropped when a resource is added
    return releases
