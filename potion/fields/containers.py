"""Arrays and objects."""

from __future__ import annotations

import re
import typing as t

from .base import Raw, _field_instance, _options, get_value

__all__ = ["Array", "List", "Object", "AttributeMapped"]


class Array(Raw):
    """A JSON array of one field type."""

    json_type = "array"

    def __init__(
        self,
        cls_or_instance: t.Any,
        min_items: int | None = None,
        max_items: int | None = None,
        unique: bool | None = None,
        **kwargs: t.Any,
    ) -> None:
        self.container = _field_instance(cls_or_instance)
        self.min_items = min_items
        self.max_items = max_items
        self.unique = unique
        kwargs.setdefault("default", list)
        super().__init__(self._array_schema, **kwargs)

    def _on_bind(self, resource: t.Any) -> None:
        self.container = self.container.bind(resource)

    def _array_schema(self) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
        extra = _options(minItems=self.min_items, maxItems=self.max_items, uniqueItems=self.unique)
        read = {"type": "array", "items": self.container.response, **extra}
        write = {"type": "array", "items": self.container.request, **extra}
        return read, write

    def _finalize(self, schema: dict[str, t.Any], response: bool) -> dict[str, t.Any]:
        schema = super()._finalize(schema, response)
        if callable(self.default):
            schema["default"] = []
        return schema

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None if self.nullable else []
        fmt = self.container.format
        return [fmt(v) for v in value]

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        convert = self.container.convert
        return [convert(v, validate=False) for v in instance]


List = Array


class Object(Raw):
    """A JSON object: named properties, or one field type for every value."""

    json_type = "object"

    def __init__(
        self,
        properties: t.Any = None,
        pattern: str | None = None,
        pattern_properties: dict[str, t.Any] | None = None,
        additional_properties: t.Any = None,
        **kwargs: t.Any,
    ) -> None:
        self.properties: dict[str, Raw] | None = None
        self.pattern_properties: dict[str, Raw] | None = None
        self.additional_properties: t.Any = additional_properties
        if isinstance(properties, dict):
            self.properties = {k: _field_instance(v) for k, v in properties.items()}
        elif properties is not None:
            field = _field_instance(properties)
            if pattern:
                self.pattern_properties = {pattern: field}
            else:
                self.additional_properties = field
        if pattern_properties:
            self.pattern_properties = {k: _field_instance(v) for k, v in pattern_properties.items()}
        if isinstance(self.additional_properties, type) or isinstance(
            self.additional_properties, Raw
        ):
            self.additional_properties = _field_instance(self.additional_properties)
        super().__init__(self._object_schema, **kwargs)

    def _on_bind(self, resource: t.Any) -> None:
        if self.properties:
            self.properties = {k: f.bind(resource) for k, f in self.properties.items()}
        if self.pattern_properties:
            self.pattern_properties = {
                k: f.bind(resource) for k, f in self.pattern_properties.items()
            }
        if isinstance(self.additional_properties, Raw):
            self.additional_properties = self.additional_properties.bind(resource)

    def _object_schema(self) -> tuple[dict[str, t.Any], dict[str, t.Any]]:
        def build(kind: str) -> dict[str, t.Any]:
            schema: dict[str, t.Any] = {"type": "object"}
            if self.properties is not None:
                schema["properties"] = {k: getattr(f, kind) for k, f in self.properties.items()}
            if self.pattern_properties:
                schema["patternProperties"] = {
                    k: getattr(f, kind) for k, f in self.pattern_properties.items()
                }
            additional = self.additional_properties
            if isinstance(additional, Raw):
                schema["additionalProperties"] = getattr(additional, kind)
            elif additional is True:
                schema["additionalProperties"] = True
            elif self.properties is not None or self.pattern_properties:
                schema["additionalProperties"] = False
            return schema

        return build("response"), build("request")

    def _value_field(self, key: str) -> Raw | None:
        if self.properties and key in self.properties:
            return self.properties[key]
        if self.pattern_properties:
            for pattern, field in self.pattern_properties.items():
                if re.search(pattern, key):
                    return field
        if isinstance(self.additional_properties, Raw):
            return self.additional_properties
        return None

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        result: dict[str, t.Any] = {}
        if self.properties is not None:
            # declared properties are read from dicts and objects alike
            result = {k: f.output(k, value) for k, f in self.properties.items() if "r" in f.io}
            if not isinstance(value, dict):
                return result
        free = self.additional_properties is True or (
            self.properties is None
            and not self.pattern_properties
            and self.additional_properties is None
        )
        for key, item in dict(value).items():
            if self.properties is not None and key in self.properties:
                continue
            field = self._value_field(key)
            if field is not None:
                result[key] = field.format(item)
            elif free:
                result[key] = item
        return result

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        result = {}
        for key, item in instance.items():
            field = self._value_field(key)
            result[key] = field.convert(item, validate=False) if field is not None else item
        return result


class AttributeMapped(Object):
    """A JSON object stored as a list of items keyed by one of their attributes."""

    def __init__(
        self,
        cls_or_instance: t.Any,
        mapping_attribute: str | None = None,
        pattern: str | None = None,
        **kwargs: t.Any,
    ) -> None:
        self.mapping_attribute = mapping_attribute
        super().__init__(cls_or_instance, pattern=pattern, **kwargs)

    def _value_field(self, key: str) -> Raw | None:
        if self.pattern_properties:
            return next(iter(self.pattern_properties.values()))
        return self.additional_properties if isinstance(self.additional_properties, Raw) else None

    def format(self, value: t.Any) -> t.Any:
        if value is None:
            return None
        field = self._value_field("")
        assert field is not None and self.mapping_attribute is not None
        return {get_value(self.mapping_attribute, v, None): field.format(v) for v in value}

    def convert(self, instance: t.Any, validate: bool = True) -> t.Any:
        if validate:
            self.request_validator.validate(instance)
        if instance is None:
            return None
        field = self._value_field("")
        assert field is not None and self.mapping_attribute is not None
        result = []
        for key, value in instance.items():
            converted = field.convert(value, validate=False)
            if isinstance(converted, dict):
                converted[self.mapping_attribute] = key
            else:
                setattr(converted, self.mapping_attribute, key)
            result.append(converted)
        return result
