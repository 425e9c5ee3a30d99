"""The Manager contract: how a resource talks to its data store.

A manager is created per resource as ``Manager(resource, model)``.  It adds the
identity fields (``$uri`` or ``$id``, and ``$type``) to the resource schema,
works out which fields can be filtered and sorted, binds the key converters, and
then serves every read and write of the resource.

Reads
    ``instances(where=(), sort=())``
        An iterable of items matching every :class:`~potion.filters.Condition` in
        ``where``, ordered by the :class:`~potion.filters.Sort` tuples in ``sort``
        (by ``Meta.sort_attribute`` or the id when ``sort`` is empty).
    ``paginated_instances(page, per_page, where=(), sort=())``
        A :class:`~potion.pagination.Pagination`; raises
        :class:`~potion.exceptions.PageNotFound` for a page past the last one (page 1
        always exists).  Counting and paging happen in the store.
    ``first(where=(), sort=())``
        The first match; raises :class:`~potion.exceptions.ItemNotFound` (with
        ``where``).
    ``read(id)``
        The item; raises ``ItemNotFound`` (with ``id``).  A malformed id is also an
        ``ItemNotFound``, never a 500.
    ``item_for_output(id)`` / ``page_for_output(page, per_page, where, sort)``
        What the built-in ``self`` and ``instances`` routes format.  They default to
        ``read`` and ``paginated_instances``; a backend may return lighter objects
        (rows of only the needed columns) as long as the resource schema formats
        them the same.
    ``for_output(item)``
        What a route formats for an item it already holds: the result of
        ``create`` and ``update``, the item of an ItemAttributeRoute, an item an
        ``Inline`` field embeds.  It defaults to the item itself; a backend may
        return a view that formats the same and reads references as stored (the
        MongoEngine manager does, so that a reference to a deleted document never
        fails the response).  ``None`` when the item turns out not to exist.
    ``relation_instances(item, attribute, target_resource, page=None, per_page=None)``
        The items of a to-many relation: a ``Pagination`` when ``page`` is given,
        else a list.
    ``relation_page_for_output(id, attribute, target_resource, page, per_page)``
        What the built-in Relation list route formats, given the parent's id:
        ``ItemNotFound`` when the parent does not exist, else a page of the
        related items.  It defaults to ``relation_instances(read(id), ...)``; a
        backend may check the parent while counting and return lighter objects
        (rows of the target's id) that the target's reference formats the same.

Writes (each one transaction; signals are sent inside it)
    ``create(properties, commit=True)`` → the new item, its id assigned.
        Sends ``before_create(item)`` before storing and ``after_create(item)`` after.
    ``update(item, changes, commit=True)`` → the item.
        Sends ``before_update(item, changes)`` / ``after_update(item, changes)``;
        ``changes`` holds only the keys whose value really changes.
    ``delete(item)`` → None.  ``before_delete(item)`` / ``after_delete(item)``.
    ``delete_by_id(id)``
    ``relation_add(item, attribute, target_resource, target_item)`` /
    ``relation_remove(...)`` → None, with the relation signals; removing a child
        that is not in the collection sends no ``after_remove_from_relation``.
    ``transaction(commit=True)``
        A context manager; nested uses join the outer one.  When the block raises,
        everything written in it is rolled back, and store errors are translated:
        a unique violation becomes :class:`~potion.exceptions.DuplicateKey` (409),
        a missing required value or a dangling key
        :class:`~potion.exceptions.IntegrityViolation` (400).
    ``commit()`` / ``begin()``
        Explicit transaction control for code outside ``transaction()``.

Permissions (see :mod:`potion.permissions`)
    ``permissions``
        The resource's :class:`~potion.permissions.Permissions`.  The base class
        enforces them on every write: ``create`` is checked on the properties,
        ``update`` on the item as it is and as it would be after the changes,
        ``delete`` on the item, ``relation_add``/``relation_remove`` need the
        parent's ``update`` and read access to the child; a refusal is a
        :class:`~potion.exceptions.Forbidden` (403).
    ``narrow(where, deny=True)``
        ``where`` with the conditions the current identity's read permission adds
        (and, for conditions on references, those of the referenced resources).
        Every read method of a backend narrows its ``where`` with it first and
        runs the result in the store's own query, so an item the identity may not
        read is missing: lists and counts leave it out, ``read`` and ``first``
        raise ``ItemNotFound``.  A resource whose read rule is made of roles the
        identity lacks raises ``Forbidden`` instead (``deny=False``: matches
        nothing), as Flask-Potion does.  The result is marked, so narrowing it
        again returns it unchanged.
    ``read_unchecked(id)``
        ``read`` without permission checks, for the permission layer itself.

Store errors
    Each backend classifies its store's exceptions once, in its errors module:
    ``store_error(exc)`` (a classmethod) answers failures of the store itself,
    :class:`~potion.exceptions.StoreUnavailable` (503) for a lost, refused or
    timed-out connection or any other operational error, and the Api asks it for
    any exception raised while serving an API request.  ``translate_error(exc)``
    adds the answers about the resource's items (integrity violations).  A row
    that disappeared under a write (deleted concurrently) is an ``ItemNotFound``;
    a failed rollback never hides the error that caused it.

Capabilities
    ``unsupported`` maps a capability name (``"between"``, ``"transactions"``,
    ...) to the reason the store lacks it.  The contract test suite skips exactly
    these, with that reason.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from dataclasses import dataclass
from typing import Any, Iterator

from .. import fields, filters, signals
from ..exceptions import ItemNotFound, PotionException, StoreUnavailable
from ..filters import Condition, Sort
from ..natural_keys import IDKey, PropertiesKey, PropertyKey, RefKey
from ..pagination import Pagination
from ..permissions import DEFAULT_PERMISSIONS, Permissions
from .narrowing import Narrowed, NarrowingMixin

__all__ = [
    "Manager",
    "RelationalManager",
    "Narrowed",
    "StoredAttribute",
    "manager_for_model",
    "writes_begun",
]

log = logging.getLogger(__name__)

#: Write transactions begun in this context (a read is retried only if none began).
_writes_begun: contextvars.ContextVar[int] = contextvars.ContextVar("potion_writes", default=0)

_transaction_depths: contextvars.ContextVar[dict[int, int] | None] = contextvars.ContextVar(
    "potion_transaction_depths", default=None
)


@dataclass(frozen=True)
class StoredAttribute:
    """One attribute a model stores, as the start-up checks (:mod:`potion.checks`) see it.

    A backend lists them with ``Manager.stored_attributes()``.
    """

    #: The model's attribute (a column, a peewee or MongoEngine field).
    name: str
    #: The store's type, for messages (``"Time"``, ``"ForeignKey"``).
    kind: str
    #: Creating an item needs a value for it (NOT NULL or required, no default).
    required: bool = False
    #: The store gives it a value of its own on create (a default, a sequence...).
    fills_itself: bool = False
    #: The manager infers a field for it, or it needs none (a key, a reference).
    inferred: bool = True
    #: Other attributes whose field writes it (the relationship over a foreign key).
    writers: tuple[str, ...] = ()
    #: For a foreign key: the attribute a ``fields.ToOne`` is declared on (None when
    #: the model has no relationship over it) ...
    reference: str | None = None
    #: ... and the model it refers to.
    target: Any = None


def writes_begun() -> int:
    """How many write transactions have begun in this context so far (for retries)."""
    return _writes_begun.get()


class Manager(NarrowingMixin):
    """Base class of every backend; see the module documentation for the contract."""

    #: Operators per field type for this backend.
    FILTERS_BY_TYPE = filters.FILTERS_BY_TYPE
    PAGINATION_TYPES: tuple[type, ...] = (Pagination,)
    #: Capabilities this store lacks: ``{name: reason}``.
    unsupported: dict[str, str] = {}
    #: Check the default permissions (spec §12) even on resources that declare
    #: no ``Meta.permissions`` (Flask-Potion's ``principals()`` managers do).
    guard_by_default = False

    def __init__(self, resource: Any, model: Any) -> None:
        self.resource = resource
        resource.manager = self
        meta = resource.meta
        self._init_model(resource, model, meta)
        self._init_filters(resource, meta)
        self._init_key_converters(resource, meta)
        self._post_init(resource, meta)
        self._init_permissions(resource, meta)

    # -- set-up ------------------------------------------------------------------

    def _init_model(self, resource: Any, model: Any, meta: Any) -> None:
        self.model = model
        self.id_attribute = meta.get("id_attribute") or "id"
        id_field_class = meta.get("id_field_class") or fields.Integer
        self.id_field = id_field_class(io="r", attribute=self.id_attribute)
        self._add_identity_fields(resource, meta)

    def _add_identity_fields(self, resource: Any, meta: Any) -> None:
        schema = resource.schema
        if meta.get("include_id"):
            schema.set("$id", self.id_field)
        else:
            schema.set("$uri", fields.ItemUri(resource, attribute=self.id_attribute))
        if meta.get("include_type"):
            schema.set("$type", fields.ItemType(resource))

    def _init_filters(self, resource: Any, meta: Any) -> None:
        setting = meta.get("filters", True)
        self.filters: dict[str, dict[str, filters.BaseFilter]] = {}
        for key, field in resource.schema.readable_fields.items():
            if isinstance(setting, dict):
                allowed = setting.get(key, setting.get("*", False))
            else:
                allowed = setting
            if key == "$type":
                continue
            field_filters = filters.filters_for_field(key, field, allowed, self.FILTERS_BY_TYPE)
            field_filters = {
                name: f for name, f in field_filters.items() if name not in self.unsupported
            }
            if field_filters:
                self.filters[key] = field_filters
        self.sortable: dict[str, Any] = {
            key: field
            for key, field in resource.schema.readable_fields.items()
            if key in self.filters and isinstance(field, filters.SORTABLE_FIELD_TYPES)
        }

    def _init_key_converters(self, resource: Any, meta: Any) -> None:
        converters = list(meta.get("key_converters") or (RefKey(), IDKey()))
        natural_key = meta.get("natural_key")
        if natural_key:
            if isinstance(natural_key, str):
                converters.append(PropertyKey(natural_key))
            elif len(natural_key) == 1:
                converters.append(PropertyKey(natural_key[0]))
            else:
                converters.append(PropertiesKey(*natural_key))
        bound = [converter.bind(resource) for converter in converters]
        meta.key_converters = tuple(bound)
        self._bound_key_converters = bound
        meta.key_converters_by_type = self.key_converters_by_type()

    def _post_init(self, resource: Any, meta: Any) -> None:
        meta.id_attribute = self.id_attribute
        if not meta.get("id_converter"):
            meta.id_converter = self.id_field.url_rule_converter or "string"

    def _init_permissions(self, resource: Any, meta: Any) -> None:
        declared = meta.get("permissions")
        if declared is DEFAULT_PERMISSIONS:
            declared = None
        guarded = declared is not None or self.guard_by_default
        self.permissions = Permissions(resource, declared, guarded)

    def declare_permissions(self, rules: Any) -> None:
        """Check ``rules`` from now on, as if the resource declared them as
        ``Meta.permissions`` (before it is added to its Api).

        The project wrapper gives ``POTION_DEFAULT_PERMISSIONS`` so to the
        resources that declare none.
        """
        self.resource.meta.permissions = dict(rules)
        self._init_permissions(self.resource, self.resource.meta)

    def key_converters_by_type(self) -> dict[str, Any]:
        by_type: dict[str, Any] = {}
        for converter in self._bound_key_converters:
            kind = converter.matcher_type()
            if kind in by_type:
                raise RuntimeError(
                    f"Multiple keys of type {kind} defined for {self.resource.meta.name}"
                )
            by_type[kind] = converter
        return by_type

    @classmethod
    def name_for_model(cls, model: Any) -> str | None:
        """The name a resource of ``model`` takes when it does not set ``Meta.name``
        (None: the resource's class name, lowercased)."""
        return None

    def stored_attributes(self) -> list[StoredAttribute]:
        """The attributes the model stores, for the start-up checks (none by default)."""
        return []

    # -- helpers -----------------------------------------------------------------

    def get_id(self, item: Any) -> Any:
        return fields.get_value(self.id_attribute, item, None)

    def _send(self, signal: Any, **kwargs: Any) -> None:
        signal.send(self.resource, **kwargs)

    # -- reads -------------------------------------------------------------------

    def instances(self, where: Any = None, sort: Any = None) -> Any:
        raise NotImplementedError

    def paginated_instances(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        return Pagination.from_list(list(self.instances(where, sort)), page, per_page)

    def first(self, where: Any = None, sort: Any = None) -> Any:
        for item in self.instances(where, sort):
            return item
        raise ItemNotFound(self.resource, where=where)

    def read(self, id: Any) -> Any:
        raise NotImplementedError

    def item_for_output(self, id: Any) -> Any:
        return self.read(id)

    def page_for_output(
        self, page: int, per_page: int, where: Any = None, sort: Any = None
    ) -> Pagination:
        return self.paginated_instances(page, per_page, where, sort)

    def for_output(self, item: Any) -> Any:
        """The object the resource schema formats for ``item`` (see the contract above)."""
        return item

    def relation_instances(
        self,
        item: Any,
        attribute: str,
        target_resource: Any,
        page: int | None = None,
        per_page: int | None = None,
    ) -> Any:
        raise NotImplementedError

    def relation_page_for_output(
        self, id: Any, attribute: str, target_resource: Any, page: int, per_page: int
    ) -> Any:
        return self.relation_instances(self.read(id), attribute, target_resource, page, per_page)

    # -- writes: one protocol for every backend -----------------------------------
    #
    # Each write runs in one transaction and sends its signals inside it; a backend
    # implements only the store's part, in the hooks below.

    def create(self, properties: dict[str, Any], commit: bool = True) -> Any:
        self.permissions.require("create", None, properties)
        self._prepare_write()
        with self.transaction(commit):
            item = self._build(properties)
            self._send(signals.before_create, item=item)
            self._insert(item, properties)
            self._send(signals.after_create, item=item)
        return item

    def update(self, item: Any, changes: dict[str, Any], commit: bool = True) -> Any:
        self.permissions.require("update", item, changes)
        self._prepare_write()
        with self.transaction(commit):
            self._will_change(item)
            actual = self.changed(item, changes)
            self._send(signals.before_update, item=item, changes=actual)
            self._apply(item, changes, actual)
            self._send(signals.after_update, item=item, changes=actual)
        return item

    def delete(self, item: Any) -> None:
        self.permissions.require("delete", item)
        self._prepare_write()
        with self.transaction():
            self._send(signals.before_delete, item=item)
            self._remove(item)
            self._send(signals.after_delete, item=item)

    def delete_by_id(self, id: Any) -> None:
        self.delete(self.read(id))

    def relation_add(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> None:
        """Add ``target_item``; a child already in the relation changes nothing and
        sends no ``after_add_to_relation``."""
        self.permissions.require("update", item)
        self._check_child(target_resource, target_item)
        self._prepare_write()
        kwargs = {"item": item, "attribute": attribute, "child": target_item}
        with self.transaction():
            self._will_change(item)
            self._send(signals.before_add_to_relation, **kwargs)
            if self._add_to_relation(item, attribute, target_resource, target_item):
                self._send(signals.after_add_to_relation, **kwargs)

    def relation_remove(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> None:
        """Remove ``target_item``; a child not in the relation changes nothing and
        sends no ``after_remove_from_relation``."""
        self.permissions.require("update", item)
        self._check_child(target_resource, target_item)
        self._prepare_write()
        kwargs = {"item": item, "attribute": attribute, "child": target_item}
        with self.transaction():
            self._will_change(item)
            self._send(signals.before_remove_from_relation, **kwargs)
            if self._remove_from_relation(item, attribute, target_resource, target_item):
                self._send(signals.after_remove_from_relation, **kwargs)

    # the store's part of a write

    def _prepare_write(self) -> None:
        """Set-up needed before a write (outside its transaction); nothing by default."""

    def _will_change(self, item: Any) -> None:
        """Called before an item is updated or its relation changed (before signals)."""

    def _build(self, properties: dict[str, Any]) -> Any:
        """A new, unsaved item with ``properties`` set."""
        item = self.model()
        for key, value in properties.items():
            setattr(item, key, value)
        return item

    def _insert(self, item: Any, properties: dict[str, Any]) -> None:
        """Store a new item; its id is known afterwards."""
        raise NotImplementedError

    def _apply(self, item: Any, changes: dict[str, Any], actual: dict[str, Any]) -> None:
        """Store ``changes`` (``actual`` holds those that really differ)."""
        raise NotImplementedError

    def _remove(self, item: Any) -> None:
        """Delete an item from the store."""
        raise NotImplementedError

    def _add_to_relation(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> bool:
        """Add the child; False when it already was in the relation."""
        raise NotImplementedError

    def _remove_from_relation(
        self, item: Any, attribute: str, target_resource: Any, target_item: Any
    ) -> bool:
        """Remove the child; False when it was not in the relation."""
        raise NotImplementedError

    # -- transactions ------------------------------------------------------------

    def _transaction_key(self) -> int:
        """Managers sharing a store (session, database) share one transaction."""
        return id(self)

    def _begin(self) -> None:
        pass

    def _flush(self) -> None:
        pass

    def _commit(self) -> None:
        pass

    def _rollback(self) -> None:
        pass

    @staticmethod
    def unavailable(exc: BaseException) -> bool:
        """Whether ``exc`` means the store cannot serve now (its backend's errors module says)."""
        return False

    @classmethod
    def store_error(cls, exc: BaseException) -> PotionException | None:
        """The API error for a failure of the store itself, or None.

        :class:`~potion.exceptions.StoreUnavailable` (503) when the store cannot
        serve: a lost, refused or timed-out connection, any other operational
        error (as :meth:`unavailable` tells).  The Api asks every backend it
        serves about an exception raised in an API request.
        """
        return StoreUnavailable() if cls.unavailable(exc) else None

    def translate_error(self, exc: BaseException) -> PotionException | None:
        """A Potion error for a store error (an outage, an integrity violation), or None."""
        return self.store_error(exc)

    def prepare_retry(self, exc: BaseException) -> bool:
        """Whether a read that failed with ``exc`` may run once more, and get ready for it.

        True only when the store's connection was lost (not refused, not a
        timeout): the backend drops it so the next try gets a fresh one.  The
        routes retry a GET once, and only if it began no write transaction.
        """
        return False

    def release(self) -> None:
        """End the request's use of the store (called when the app context ends).

        A backend closes what the request left open, before the application's own
        teardown does; nothing by default.  Errors are logged by the caller, never
        raised into a response that is already computed.
        """

    def recover(self, exc: BaseException) -> None:
        """Called after a request failed with ``exc``, an outage of a store.

        A backend drops a connection that is gone, so the next request opens a
        fresh one; nothing by default (SQLAlchemy's pool does this itself).
        """

    def _rollback_after(self, exc: BaseException) -> None:
        """Roll back after ``exc``; a rollback that fails too is logged, never raised.

        When the connection is lost, the rollback fails as well: the error the
        client must hear about is the first one.
        """
        try:
            self._rollback()
        except Exception as rollback_error:
            log.warning("Rolling back after %s failed too: %s", type(exc).__name__, rollback_error)

    @contextlib.contextmanager
    def transaction(self, commit: bool = True) -> Iterator[None]:
        depths = _transaction_depths.get()
        if depths is None:
            depths = {}
            _transaction_depths.set(depths)
        key = self._transaction_key()
        depth = depths.get(key, 0)
        depths[key] = depth + 1
        outer = depth == 0
        try:
            if outer:
                _writes_begun.set(_writes_begun.get() + 1)
                self._begin()
            yield
            if outer:
                if commit:
                    self._commit()
                else:
                    self._flush()
        except BaseException as exc:
            if outer:
                self._rollback_after(exc)
                translated = self.translate_error(exc)
                if translated is not None:
                    raise translated from exc
            raise
        finally:
            depths[key] = depth

    def begin(self) -> None:
        self._begin()

    def commit(self) -> None:
        try:
            self._commit()
        except Exception as exc:
            self._rollback_after(exc)
            translated = self.translate_error(exc)
            if translated is not None:
                raise translated from exc
            raise

    def changed(self, item: Any, changes: dict[str, Any]) -> dict[str, Any]:
        """The subset of ``changes`` whose value differs from the item's."""
        actual = {}
        for key, value in changes.items():
            current = fields.get_value(key, item, None)
            if current is None or value is None:
                if current is not value:
                    actual[key] = value
            elif current != value:
                actual[key] = value
        return actual


class RelationalManager(Manager):
    """Base of managers for stores queried through expressions (SQL)."""


def conditions(where: Any) -> tuple[Condition, ...]:
    return tuple(where or ())


def sorts(sort: Any) -> tuple[Sort, ...]:
    return tuple(sort or ())


def manager_for_model(model: Any) -> type[Manager] | None:
    """The backend for a model class, told by the library the class comes from.

    A peewee ``Model`` gets the peewee manager, a MongoEngine ``Document`` the
    MongoEngine one, anything else the SQLAlchemy manager (None when
    Flask-SQLAlchemy is not installed).  Only the chosen backend is imported.
    """
    libraries = {cls.__module__.partition(".")[0] for cls in getattr(model, "__mro__", ())}
    if "peewee" in libraries:
        from .peewee import PeeweeManager

        return PeeweeManager
    if "mongoengine" in libraries:
        from .mongoengine import MongoEngineManager

        return MongoEngineManager
    try:
        from .sqlalchemy import SQLAlchemyManager
    except ImportError:
        return None
    return SQLAlchemyManager
