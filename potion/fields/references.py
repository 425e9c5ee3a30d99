"""References to items of resources: ToOne, ToMany, Inline, and an item's own $uri and $type."""

from __future__ import annotations

import re
import typing as t

from ..schema import ResourceBound, route_prefix_of
from .base import Raw, get_value
from .containers import Array

__all__ = ["ToOne", "ToMany", "Inline", "ItemType", "ItemUri", "ResourceReference"]


def resource_for_model(model: t.Any, referrer: t.Any) -> t.Any:
    """The resource whose ``Meta.model`` is ``model``: ``referrer`` itself, or one of
    the resources registered on the referrer's Api (the first one registered wins).
    """
    if referrer is not None and referrer.meta.get("model") is model:
        return referrer
    name = getattr(referrer, "__name__", referrer)
    model_name = getattr(model, "__name__", model)
    api = getattr(referrer, "api", None)
    if api is None:
        raise RuntimeError(
            f"Cannot resolve the resource of {model_name} referenced from {name}: "
            f"{name} is not registered with an Api yet"
        )
    for resource in api.resources.values():
        if resource.meta.get("model") is model:
            return resource
    raise RuntimeError(
        f"No resource has Meta.model = {model_name}; add one to the Api "
        f"(needed by a reference from {name})"
    )


class ResourceReference:
    """Resolves a resource given as class, registered name, ``module.Class``, ``self``,
    or a model class (the resource whose ``Meta.model`` it is, on the same Api)."""

    def __init__(self, value: t.Any) -> None:
        self.value = value

    def resolve(self, binding: t.Any = None) -> t.Any:
        """The resource class, looked up from ``binding`` (the referring resource)."""
        value = self.value
        if value == "self" or value is None:
            if binding is None:
                raise RuntimeError("A reference to 'self' must be bound to a resource")
            return binding
        if isinstance(value, type):
            from ..resource import Resource

            return value if issubclass(value, Resource) else resource_for_model(value, binding)
        if isinstance(value, str):
            api = getattr(binding, "api", None) if binding is not None else None
            if api is not None and value in api.resources:
                return api.resources[value]
            if "." in value:
                import importlib

                module_name, _, class_name = value.rpartition(".")
                return getattr(importlib.import_module(module_name), class_name)
            if api is None:
                raise RuntimeError(
                    f"Cannot resolve resource {value!r}: the referring resource is not "
                    "registered with an Api yet"
                )
            raise RuntimeError(f'Resource named "{value}" is not registered with the Api')
        raise TypeError(f"Cannot resolve a resource from {value!r}")


_ResourceReference = ResourceReference


class _TargetMixin(ResourceBound):
    def _init_target(self, resource: t.Any) -> None:
        self._reference = ResourceReference(resource)
        self._target: t.Any = None

    @property
    def target(self) -> t.Any:
        if self._target is None:
            self._target = self._reference.resolve(self.resource)
        return self._target

    def _on_bind(self, resource: t.Any) -> None:
        self._target = None


class ToOne(_TargetMixin, Raw):
    """A reference to one item of another resource (``{"$ref": "/author/1"}``)."""

    def __init__(self, resource: t.Any, **kwargs: t.Any) -> None:
        self._init_target(resource)
        #: Set by a backend when the target's id can be read without loading it
        #: (e.g. a foreign-key column): output then formats straight from it.
        self.id_attribute: str | None = None
        super().__init__(self._reference_schema, **kwargs)

    def _reference_schema(self) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
        converters = self.target.meta.key_converters
        read = converters[0].response
        writes = [converter.request for converter in converters]
        write = writes[0] if len(writes) == 1 else {"anyOf": writes}
        return read, write

    def output(self, key: str, obj: t.Any) -> t.Any:
        if self.id_attribute is not None:
            target_id = get_value(self.id_attribute, obj, None)
            if target_id is None:
                return None
            return self.target.meta.key_converters[0].format_id(target_id)
        return self.format(get_value(self.attribute or key, obj, self.default))

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        return self.target.meta.key_converters[0].format(value)

    def converter_for(self, value: t.Any) -> t.Any:
        by_type = self.target.meta.key_converters_by_type
        return by_type[_json_type(value)]

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        return self.converter_for(instance).convert(instance)

    def convert_to_id(self, instance: t.Any) -> t.Any:
        """The id of the referenced item (looked up only for natural keys).

        ``None`` for ``null``, :data:`potion.filters.NO_MATCH` for a missing item.
        """
        if instance is None:
            return None
        return self.converter_for(instance).convert_to_id(instance)


def _json_type(value: t.Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, (list, tuple)):
        return "array"
    return "null"


def _read_node(target: t.Any) -> t.Any:
    """The condition the identity's read permission of ``target`` puts on its items:
    None when every item is readable (or nothing is checked)."""
    manager = getattr(target, "manager", None)
    permissions = getattr(manager, "permissions", None)
    if permissions is None or not permissions.guarded:
        return None
    identity = permissions.identity()
    if identity is None:
        return None
    from ..conditions import is_everything

    node = permissions.node("read", identity)
    return None if is_everything(node) else node


class ToMany(Array):
    """A list of references to items of another resource.

    On output, items the identity may not read are left out, as from every list.
    """

    def __init__(self, resource: t.Any, **kwargs: t.Any) -> None:
        nullable = kwargs.pop("nullable", False)
        super().__init__(ToOne(resource, nullable=nullable), **kwargs)

    @property
    def target(self) -> t.Any:
        return self.container.target  # type: ignore[attr-defined]

    def format(self, value: t.Any) -> t.Any:
        if value:
            node = _read_node(self.target)
            if node is not None:
                from ..conditions import readable_only

                value = readable_only(node, value, self.target.manager)
        return super().format(value)


class Inline(_TargetMixin, Raw):
    """An item of another resource (or of this one) embedded as its full body."""

    def __init__(self, resource: t.Any, patchable: bool = False, **kwargs: t.Any) -> None:
        self._init_target(resource)
        self.patchable = patchable
        super().__init__(self._inline_schema, **kwargs)

    def _inline_schema(self) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
        target = self.target
        if target is self.resource:
            # The item schema refers to itself: "#" is the root of whichever item
            # schema (create or update) is being validated, so no recursion.
            return {"$ref": "#"}, {"$ref": "#"}
        read = {"$ref": f"{route_prefix_of(target)}/schema"}
        return read, target.schema.update if self.patchable else target.schema.create

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        target = self.target
        node = _read_node(target)
        if node is not None:  # an item the identity may not read is not shown
            from ..conditions import readable_only

            if not readable_only(node, [value], target.manager):
                return None
        # the target's manager may read the item as stored, or find it gone (None)
        for_output = getattr(target.manager, "for_output", None)
        if for_output is not None:
            value = for_output(value)
            if value is None:
                return None
        return target.schema.format(value)

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if instance is None:
            return None
        return self.target.schema.convert(instance, update=self.patchable, validate=validate)


class ItemType(_TargetMixin, Raw):
    """The resource name of an item (``$type``); read-only."""

    def __init__(self, resource: t.Any) -> None:
        self._init_target(resource)
        super().__init__(lambda: {"type": "string", "enum": [self.target.meta.name]}, io="r")

    def output(self, key: str, obj: t.Any) -> t.Any:
        return self.target.meta.name


class ItemUri(_TargetMixin, Raw):
    """The URI of an item (``$uri``); read-only."""

    def __init__(self, resource: t.Any, attribute: str | None = None) -> None:
        self._init_target(resource)
        super().__init__(self._uri_schema, io="r", attribute=attribute)

    def _uri_schema(self) -> dict[str, t.Any]:
        prefix = re.escape(route_prefix_of(self.target))
        return {"type": "string", "pattern": f"^{prefix}\\/[^/]+$"}

    def output(self, key: str, obj: t.Any) -> t.Any:
        item_id = get_value(self.attribute or "id", obj, None)
        prefix = self.target.route_prefix
        if prefix is None:
            prefix = route_prefix_of(self.target)
        return f"{prefix}/{item_id}"

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        target = self.target
        raw_id = instance[len(route_prefix_of(target)) + 1 :]
        try:
            return target.manager.id_field.convert_url_value(raw_id)
        except (TypeError, ValueError):
            from ..filters import NO_MATCH  # no item has this URI

            return NO_MATCH
