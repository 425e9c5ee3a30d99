"""Schema adapters: schemas written for another library, used as Potion schemas.

A team may already describe its data with another schema library.  An *adapter*
turns such a schema into Potion's own objects once, when a class is declared, so
that requests are still validated by the compiled JSON Schema and responses
formatted by the compiled formatter: nothing of the other library runs on a read
unless the schema asks for it.

The core knows no adapter by name.  An adapter registers itself when its module
is imported (Potion's marshmallow adapter: ``import potion.contrib.marshmallow``)
and is then consulted in two places:

- **Resources.**  Each adapter reads one ``Meta`` option, ``Meta.<library>_schema``
  (e.g. ``Meta.marshmallow_schema``).  When a resource class sets it, the resource
  metaclass asks the adapter for the item :class:`~potion.schema.FieldSet`
  (:meth:`SchemaAdapter.item_schema`); fields declared in the inner ``Schema``
  class are added over it and replace converted fields of the same name.  The
  adapted schema is the whole declaration: a manager infers no further fields from
  the model unless ``Meta.include_fields`` names them.  A ``Meta`` option ending in
  ``_schema`` that no adapter reads is an error when the class is created, so a
  forgotten import cannot silently leave a resource without fields.
- **Routes.**  ``Route(schema=..., response_schema=...)`` and a view's return
  annotation accept any value an adapter recognises (:meth:`SchemaAdapter.route_schema`),
  wherever a :class:`~potion.schema.FieldSet` is accepted.

Both happen at start-up; a request never consults the registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .schema import FieldSet, Schema

__all__ = ["SchemaAdapter", "register_adapter", "adapters", "route_schema", "item_schema"]

#: The Meta option suffix reserved for adapters.
OPTION_SUFFIX = "_schema"

_ADAPTERS: dict[str, SchemaAdapter] = {}


class SchemaAdapter:
    """Turns schemas of another library into Potion schemas; subclass and register.

    :attr:`option` names the ``Meta`` option the adapter reads; it must end in
    ``_schema``.
    """

    option: str = ""

    def item_schema(self, value: Any, resource: Any) -> FieldSet:
        """The item schema of ``resource`` built from ``value`` (the Meta option's value).

        Called once, while the resource class is created: ``resource.meta`` is
        complete, the class is not bound to an Api yet.  Raise an error for a
        declaration that cannot work, naming the field and the remedy.
        """
        raise NotImplementedError

    def route_schema(self, value: Any) -> Schema | None:
        """A Potion schema for ``value`` given to a route, or None when ``value`` is
        not a schema of this adapter's library."""
        return None


def register_adapter(adapter: SchemaAdapter) -> None:
    """Register ``adapter`` for its ``Meta`` option (again: replace the previous one)."""
    if not adapter.option.endswith(OPTION_SUFFIX) or adapter.option == OPTION_SUFFIX:
        raise ValueError(
            f"An adapter's Meta option must be named '<library>{OPTION_SUFFIX}', "
            f"not {adapter.option!r}"
        )
    _ADAPTERS[adapter.option] = adapter


def adapters() -> dict[str, SchemaAdapter]:
    """The registered adapters by ``Meta`` option."""
    return dict(_ADAPTERS)


def item_schema(meta: Any, resource: Any) -> FieldSet | None:
    """The adapted item schema that ``meta`` asks for, or None when it asks for none."""
    chosen: list[tuple[str, Any]] = []
    for option, value in meta.items():
        if not option.endswith(OPTION_SUFFIX) or value is None:
            continue
        if option not in _ADAPTERS:
            library = option[: -len(OPTION_SUFFIX)]
            raise RuntimeError(
                f"{resource.__name__}: no schema adapter reads Meta.{option}; adapters "
                f"register themselves when imported (for {library}: "
                f"import potion.contrib.{library})"
            )
        chosen.append((option, value))
    if not chosen:
        return None
    if len(chosen) > 1:
        names = ", ".join(f"Meta.{option}" for option, _ in chosen)
        raise RuntimeError(f"{resource.__name__} sets {names}: a resource takes one of them")
    option, value = chosen[0]
    return _ADAPTERS[option].item_schema(value, resource)


def route_schema(value: Any) -> Any:
    """``value`` as a Potion schema when an adapter recognises it, else unchanged."""
    if value is None or not _ADAPTERS:
        return value
    from .schema import Schema

    if isinstance(value, Schema):
        return value
    for adapter in _ADAPTERS.values():
        adapted = adapter.route_schema(value)
        if adapted is not None:
            return adapted
    return value
