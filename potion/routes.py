"""Routes: the views of a resource, each with a request and a response schema.

``Route`` serves a URL relative to the resource (``/book/genres``), ``ItemRoute``
one relative to an item (``/book/<id>/shout``) and passes the item to the view.
``RouteSet`` subclasses generate several routes: ``ItemAttributeRoute`` exposes
one attribute of an item, ``Relation`` a to-many relation.
"""

from __future__ import annotations

import copy
import inspect
import re
from typing import Any, Callable, Iterator

from flask import current_app, request
from werkzeug.wrappers import Response as BaseResponse

from . import fields as field_types
from .adapters import route_schema
from .backends import writes_begun
from .encoding import json_response
from .exceptions import Forbidden, InvalidReference, ItemNotFound, RequestTooLarge
from .instances import RelationInstances
from .schema import FieldSet, ResourceBound, Schema, read_json_body
from .settings import setting

__all__ = [
    "Route",
    "ItemRoute",
    "RouteSet",
    "ItemAttributeRoute",
    "Relation",
    "to_camel_case",
    "HTTP_METHODS",
    "HTTP_METHOD_VERB_DEFAULTS",
    "url_rule_to_uri_pattern",
    "attribute_to_route_uri",
]

#: The HTTP methods a route may serve.
HTTP_METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE")
#: The verb of a route's default rel, by method (``GET`` + ``shout`` → ``readShout``).
HTTP_METHOD_VERB_DEFAULTS = {
    "GET": "read",
    "PUT": "create",
    "POST": "create",
    "PATCH": "update",
    "DELETE": "destroy",
}
_VERBS = HTTP_METHOD_VERB_DEFAULTS
_CONVERTER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def url_rule_to_uri_pattern(rule: str) -> str:
    """A Flask URL rule as a link ``href``: ``/book/<int:id>`` → ``/book/{id}``."""
    return _CONVERTER.sub(r"{\1}", rule)


def attribute_to_route_uri(attribute: str) -> str:
    """The URL segment of an attribute: ``is_recent`` → ``is-recent``."""
    return attribute.replace("_", "-")


def to_camel_case(text: str) -> str:
    """``read_is_recent`` → ``readIsRecent``."""
    head, *rest = text.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class _MethodDecorator:
    """``Route.GET`` (on the class) and ``route.POST`` (on a route) decorators."""

    def __init__(self, method: str) -> None:
        self.method = method

    def __get__(self, obj: Route | None, cls: type[Route]) -> Callable[..., Any]:
        method = self.method

        def make(view_func: Callable[..., Any], *args: Any, **kwargs: Any) -> Route:
            if obj is None:
                return cls(method, view_func, *args, **kwargs)
            return obj.for_method(method, view_func, *args, **kwargs)

        def decorator(*args: Any, **kwargs: Any) -> Any:
            if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], str):
                return make(args[0])

            def wrapper(view_func: Callable[..., Any]) -> Route:
                return make(view_func, *args, **kwargs)

            return wrapper

        return decorator


class Route:
    """A view of a resource at one URL and one HTTP method.

    :param rule: URL relative to the resource; a string or ``rule(resource)``.
        Defaults to ``'/' + attribute`` with ``_`` turned into ``-``.
    :param schema: request schema. A :class:`FieldSet` spreads the validated object
        into keyword arguments; any other schema passes the whole body (or query
        string for GET) as one argument.  A schema of another library that a
        registered adapter recognises (a marshmallow schema, see
        :mod:`potion.adapters`) is converted to a Potion schema when the route is
        declared.
    :param response_schema: formats the view's return value (the same kinds).
    :param action: the permission action the route performs (a key of the
        resource's ``Meta.permissions``, e.g. ``"publish"``).  An item route
        checks it on the item it loads, another route checks that the identity
        may do it at all; a refusal is a 403.  Without one, an item route needs
        only read access to its item (its loading is narrowed like every read).
    """

    GET = _MethodDecorator("GET")
    PUT = _MethodDecorator("PUT")
    POST = _MethodDecorator("POST")
    PATCH = _MethodDecorator("PATCH")
    DELETE = _MethodDecorator("DELETE")

    #: Whether the URL is relative to one item (``/<id>`` prefix).
    is_item_route = False
    #: Whether an item route loads the item (``resource.read_item``) and passes it to
    #: the view; when false the view receives the raw ``id`` keyword instead.
    loads_item = True

    def __init__(
        self,
        method: str | None = None,
        view_func: Callable[..., Any] | None = None,
        rule: Any = None,
        attribute: str | None = None,
        rel: str | None = None,
        title: str | None = None,
        description: str | None = None,
        schema: Any = None,
        response_schema: Any = None,
        format_response: bool = True,
        success_code: int | None = None,
        action: str | None = None,
    ) -> None:
        self.method = method
        self.action = action
        self.view_func = view_func
        self.rule = rule
        self._attribute = attribute
        self._rel = rel
        self.title = title
        self.description = description
        # a schema of another library (marshmallow) becomes a Potion schema here, once
        self.request_schema = route_schema(schema)
        self.response_schema = route_schema(response_schema)
        self.format_response = format_response
        self.success_code = success_code
        self._parent: Route | None = None
        self._siblings: list[Route] = [self]
        if view_func is not None:
            self._read_annotations(view_func)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.method!r}, rel={self.rel!r})"

    # -- naming ------------------------------------------------------------------

    @property
    def attribute(self) -> str | None:
        if self._attribute is None and self._parent is not None:
            return self._parent.attribute
        return self._attribute

    @attribute.setter
    def attribute(self, value: str | None) -> None:
        self._attribute = value

    @property
    def rel(self) -> str:
        if self._rel:
            return self._rel
        verb = _VERBS.get(self.method or "GET", "read")
        return to_camel_case(f"{verb}_{self.attribute}")

    @rel.setter
    def rel(self, value: str) -> None:
        self._rel = value

    @property
    def related_routes(self) -> list[Route]:
        return self._siblings

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        # On a resource instance the route is its view method, so an override can
        # call ``super().create(properties)``.
        if obj is None or self.view_func is None:
            return self
        return self.view_func.__get__(obj, owner)

    def with_view_func(self, view_func: Callable[..., Any]) -> Route:
        """A copy of this route served by another view function (an override)."""
        route = copy.copy(self)
        route.view_func = view_func
        if route._attribute is None and route._parent is None:
            route._attribute = self.attribute
        return route

    def for_method(
        self, method: str, view_func: Callable[..., Any], rel: str | None = None, **kwargs: Any
    ) -> Route:
        """A route for another HTTP method at the same URL."""
        route = type(self)(method, view_func, rule=self.rule, rel=rel, **kwargs)
        route._parent = self
        route._siblings = self._siblings
        self._siblings.append(route)
        return route

    # -- schemas -----------------------------------------------------------------

    def _read_annotations(self, view_func: Callable[..., Any]) -> None:
        try:
            annotations = inspect.get_annotations(view_func, eval_str=True)
        except Exception:  # an annotation that is not a field and cannot be evaluated
            annotations = dict(getattr(view_func, "__annotations__", {}))
        signature = inspect.signature(view_func)
        arguments = {}
        for name, parameter in signature.parameters.items():
            annotation = annotations.get(name)
            if not isinstance(annotation, (field_types.Raw, type)):
                continue
            if isinstance(annotation, type):
                if not issubclass(annotation, field_types.Raw):
                    continue
                annotation = annotation()
            if parameter.default is not inspect.Parameter.empty and annotation.default is None:
                annotation.default = parameter.default
            arguments[name] = annotation
        returns = route_schema(annotations.get("return"))
        if isinstance(returns, type) and issubclass(returns, field_types.Raw):
            returns = returns()
        if arguments or (returns is not None and isinstance(returns, Schema)):
            if self.request_schema is None:
                self.request_schema = FieldSet(arguments)
        if isinstance(returns, Schema) and self.response_schema is None:
            self.response_schema = returns

    def _bound_schema(self, schema: Any, resource: Any) -> Any:
        if isinstance(schema, ResourceBound):
            return schema.bind(resource)
        return schema

    def request_link_schema(self, resource: Any) -> Any:
        schema = self._bound_schema(self.request_schema, resource)
        if schema is None:
            return None
        link = getattr(schema, "link_request", None)
        return link() if link is not None else schema.request

    def response_link_schema(self, resource: Any) -> Any:
        schema = self._bound_schema(self.response_schema, resource)
        if schema is None:
            return None
        link = getattr(schema, "link_response", None)
        if link is not None:
            return link()
        if isinstance(schema, FieldSet):
            return schema.route_response
        return schema.response

    # -- URL ---------------------------------------------------------------------

    def relative_rule(self, resource: Any) -> str:
        """The rule relative to the resource, with its leading slash (``/shout``)."""
        rule = self.rule
        if callable(rule):
            rule = rule(resource)
        if rule is None:
            rule = "/" + attribute_to_route_uri(self.attribute or "")
        return rule

    def rule_factory(self, resource: Any, relative: bool = False) -> str:
        """The URL rule of this route on ``resource``.

        With ``relative`` (or before the resource is added to an Api, when its
        ``route_prefix`` is None) the rule is relative to the resource and has no
        leading slash: ``<int:id>/shout``, ``schema``, ``""`` for the list.
        """
        rule = self.relative_rule(resource)
        if self.is_item_route:
            id_matcher = f"<{resource.meta.get('id_converter') or 'string'}:id>"
            rule = f"/{id_matcher}{rule}" if not rule or rule.startswith("/") else rule
        prefix = resource.route_prefix
        if relative or prefix is None:
            return rule[1:] if rule.startswith("/") else rule
        return prefix + rule

    def schema_factory(self, resource: Any) -> dict[str, Any]:
        """This route as a JSON Hyper-Schema link (see :meth:`link`)."""
        return self.link(resource)

    def link(self, resource: Any) -> dict[str, Any]:
        """This route as a JSON Hyper-Schema link."""
        link: dict[str, Any] = {
            "rel": self.rel,
            "href": url_rule_to_uri_pattern(self.rule_factory(resource)),
            "method": self.method,
        }
        if self.title is not None:
            link["title"] = self.title
        if self.description is not None:
            link["description"] = self.description
        request_schema = self.request_link_schema(resource)
        if request_schema is not None:
            link["schema"] = request_schema
        response_schema = self.response_link_schema(resource)
        if response_schema is not None:
            link["targetSchema"] = response_schema
        return link

    # -- the view ----------------------------------------------------------------

    def view_factory(self, endpoint: str, resource: Any) -> Callable[..., Any]:
        """The view serving this route for ``resource``, returning its raw result.

        The view parses the request, calls the view function and formats its value
        with the response schema, then returns ``(value, status)`` or ``(value,
        status, headers)`` (a bare value is paired with ``success_code``); a
        ``Response`` passes through.  ``Meta.route_decorators`` wrap this view, so
        they see and may change the value; the Api encodes it as JSON afterwards.
        """
        view_func = self.view_func
        assert view_func is not None, f"Route {self.rel} has no view function"
        request_schema = self._bound_schema(self.request_schema, resource)
        response_schema = self._bound_schema(self.response_schema, resource)
        spread = getattr(request_schema, "spread_arguments", False)
        parse = request_schema.parse_request if request_schema is not None else None
        format_body = (
            response_schema.format_response
            if response_schema is not None and self.format_response
            else None
        )
        headers_for = getattr(response_schema, "response_headers", None)
        success_code = self.success_code or 200
        load_item = self.is_item_route and self.loads_item
        reads_body = self.method in ("POST", "PUT", "PATCH", "DELETE")
        retries = self.method in (None, "GET") and getattr(resource, "manager", None) is not None
        action = self.action
        permissions = getattr(resource.manager, "permissions", None) if action else None

        def view(**kwargs: Any) -> Any:
            if not retries:
                return respond(kwargs)
            writes = writes_begun()
            try:
                return respond(dict(kwargs))
            except Exception as exc:
                # a read that met a dropped connection runs once more on a fresh one;
                # never a request that began a write
                manager = resource.manager
                if writes_begun() != writes or manager is None or not manager.prepare_retry(exc):
                    raise
            return respond(kwargs)

        def respond(kwargs: dict[str, Any]) -> Any:
            if reads_body:
                _limit_body(request)
            instance = resource()
            args: tuple[Any, ...] = ()
            if load_item:
                item = instance.read_item(kwargs.pop("id"))
                if permissions is not None:
                    permissions.require(action, item)
                args = (item,)
            elif permissions is not None:
                permissions.require(action)
            if parse is not None:
                parsed = parse(request)
                if spread:
                    kwargs.update(parsed)
                else:
                    args += (parsed,)
            result = view_func(instance, *args, **kwargs)
            if isinstance(result, BaseResponse):
                return result
            code, headers = success_code, None
            if isinstance(result, tuple):
                if len(result) == 3:
                    result, code, headers = result
                else:
                    result, code = result
            if format_body is not None:
                if headers_for is not None:
                    headers = dict(headers or {}, **headers_for(result))
                result = format_body(result)
            return (result, code) if headers is None else (result, code, headers)

        view.__name__ = endpoint
        view.__doc__ = view_func.__doc__
        return view


def serialized_view(view: Callable[..., Any], endpoint: str) -> Callable[..., Any]:
    """``view`` answering a JSON response for its raw result (see ``Route.view_factory``).

    ``Response`` objects pass through; ``value``, ``(value, status)`` and ``(value,
    status, headers)`` are encoded as JSON.
    """

    def serialized(**kwargs: Any) -> Any:
        result = view(**kwargs)
        if isinstance(result, BaseResponse):
            return result
        if isinstance(result, tuple):
            if len(result) == 2:
                return json_response(result[0], result[1])
            if len(result) == 3:
                return json_response(result[0], result[1], result[2])
        return json_response(result)

    serialized.__name__ = endpoint
    serialized.__doc__ = view.__doc__
    serialized.__wrapped__ = view  # type: ignore[attr-defined]
    return serialized


def _limit_body(req: Any) -> None:
    limit = setting(current_app, "POTION_MAX_CONTENT_LENGTH")
    if limit is None:
        return
    if req.content_length is not None:
        if req.content_length > limit:
            raise RequestTooLarge(f"The request body is larger than {limit} bytes")
        return
    # A streamed body (no Content-Length): read one byte past the limit to tell a
    # body of exactly ``limit`` bytes from a longer one, which werkzeug truncates.
    req.max_content_length = limit + 1
    if len(req.get_data(cache=True)) > limit:
        raise RequestTooLarge(f"The request body is larger than {limit} bytes")


class ItemRoute(Route):
    """A route relative to one item: ``/{resource}/<id>{rule}``; the item is loaded."""

    is_item_route = True


class RouteSet(ResourceBound):
    """Something that generates several routes for a resource."""

    attribute: str | None = None

    def routes(self) -> Iterator[Route]:
        raise NotImplementedError


class ItemAttributeRoute(RouteSet):
    """GET and POST of one attribute of an item: ``/{resource}/<id>/{attribute}``."""

    def __init__(self, cls_or_instance: Any, io: str | None = None, attribute: str | None = None):
        self.field = cls_or_instance() if isinstance(cls_or_instance, type) else cls_or_instance
        self.io = field_types.normalize_io(io) if io is not None else self.field.io
        self.attribute = attribute

    def routes(self) -> Iterator[Route]:
        name = self.attribute
        assert name is not None
        field = self.field
        rule = "/" + attribute_to_route_uri(name)
        attribute = field.attribute or name

        def read_attribute(resource: Any, item: Any) -> Any:
            return field.output(attribute, _for_output(resource, item))

        def update_attribute(resource: Any, item: Any, value: Any) -> Any:
            item = resource.manager.update(item, {attribute: value})
            return field.output(attribute, _for_output(resource, item))

        if "r" in self.io:
            yield ItemRoute(
                "GET",
                read_attribute,
                rule=rule,
                attribute=name,
                rel=to_camel_case(f"read_{name}"),
                response_schema=field,
                format_response=False,  # field.output() has formatted the value
            )
        if "u" in self.io:
            yield ItemRoute(
                "POST",
                update_attribute,
                rule=rule,
                attribute=name,
                rel=to_camel_case(f"update_{name}"),
                schema=_BareValue(field),
                response_schema=field,
                format_response=False,
            )


def _for_output(resource: Any, item: Any) -> Any:
    """``item`` as the resource's manager formats it (see ``Manager.for_output``);
    ``ItemNotFound`` when the item was deleted meanwhile."""
    for_output = getattr(resource.manager, "for_output", None)
    if for_output is None:
        return item
    output = for_output(item)
    if output is None:
        raise ItemNotFound(resource, id=resource.manager.get_id(item))
    return output


class _BareValue(Schema):
    """The whole JSON body is the value of one field."""

    def __init__(self, field: Any) -> None:
        self.field = field

    def schema(self) -> Any:
        return self.field.response, self.field.request

    def parse_request(self, req: Any) -> Any:
        return self.field.convert(read_json_body(req))


class Relation(RouteSet):
    """A to-many relation as routes: list, add and remove.

    ``GET /{resource}/<id>/{attribute}`` lists references to the related items,
    ``POST`` with a reference adds one, ``DELETE .../{attribute}/<target_id>``
    removes one.
    """

    def __init__(
        self,
        resource: Any,
        backref: str | None = None,
        io: str = "rw",
        attribute: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.reference = resource
        self.backref = backref
        self.io = field_types.normalize_io(io)
        self.attribute = attribute
        self.kwargs = kwargs

    def _on_bind(self, resource: Any) -> None:
        self.target_field = field_types.ToOne(self.reference).bind(resource)

    @property
    def target(self) -> Any:
        return self.target_field.target

    def routes(self) -> Iterator[Route]:
        name = self.attribute
        assert name is not None
        relation = self
        rule = "/" + attribute_to_route_uri(name)

        def relation_instances(resource: Any, id: Any, page: int, per_page: int, **_: Any) -> Any:
            return resource.manager.relation_page_for_output(
                id, name, relation.target, page, per_page
            )

        def relation_add(resource: Any, item: Any, target_item: Any) -> Any:
            resource.relation_add(item, name, relation.target, target_item)
            return target_item

        def relation_remove(resource: Any, item: Any, target_id: str) -> Any:
            target = relation.target
            target_id = _url_id(target, target_id)
            try:
                target_item = target.manager.read(target_id)
            except Forbidden:  # a child the identity may not read is missing
                raise ItemNotFound(target, id=target_id) from None
            resource.relation_remove(item, name, target, target_item)
            return None, 204

        if "r" in self.io:
            yield _RelationListRoute(
                "GET",
                relation_instances,
                rule=rule,
                attribute=name,
                rel=to_camel_case(name),
                schema=RelationInstances(self),
                response_schema=RelationInstances(self),
            )
        if "c" in self.io or "u" in self.io:
            yield ItemRoute(
                "POST",
                relation_add,
                rule=rule,
                attribute=name,
                rel=to_camel_case(f"add_{name}"),
                schema=_Reference(self),
                response_schema=_Reference(self),
            )
            yield ItemRoute(
                "DELETE",
                relation_remove,
                rule=rule + "/<target_id>",
                attribute=name,
                rel=to_camel_case(f"remove_{name}"),
            )


class _RelationListRoute(ItemRoute):
    """The list route of a relation: the manager reads the parent by its id.

    ``manager.relation_page_for_output`` checks that the parent exists (404 when it
    does not) and may do so in the statement that counts the related items.
    """

    loads_item = False


def _url_id(resource: Any, raw: str) -> Any:
    try:
        return resource.manager.id_field.convert_url_value(raw)
    except (TypeError, ValueError):
        raise ItemNotFound(resource, id=raw) from None


class _Reference(Schema):
    """A reference to an item of a relation's target (request and response)."""

    def __init__(self, relation: Relation) -> None:
        self.relation = relation

    def schema(self) -> Any:
        field = self.relation.target_field
        return field.response, field.request

    def parse_request(self, req: Any) -> Any:
        field = self.relation.target_field
        value = read_json_body(req)
        field.request_validator.validate(value)
        try:
            return field.convert(value, validate=False)
        except ItemNotFound as exc:
            raise InvalidReference([], value, exc.resource_name or "item") from None

    def format(self, value: Any) -> Any:
        return self.relation.target_field.format(value)
