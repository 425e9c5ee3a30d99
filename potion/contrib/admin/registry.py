"""What the admin knows about each resource: read from its schema and its options.

A resource's admin options come from ``Meta.admin`` (a dict, or ``False`` to
leave the resource out of the admin), overridden by ``Admin(options={name:
{...}})`` for resources declared elsewhere (contrib.auth's ``user`` and
``role``).  Every key is optional:

``columns``
    The fields shown as columns of the list, in order (default: the label field,
    then the other readable fields that hold a single value, at most seven).
``search``
    The string fields the search box looks in, one at a time: with several, a
    select next to the box chooses the field, the first by default (default:
    the label field when it can be filtered with ``icontains``).
``label``
    The field whose value names an item in lists, selects and titles (default:
    the first of ``title``, ``name``, ``username``, ``label``, the natural key,
    then the first string field).
``fields``
    The fields of the create and edit forms, in order (default: every field).
``widgets``
    ``{field: widget}`` to override a field's input: ``"text"``, ``"textarea"``,
    ``"number"``, ``"integer"``, ``"checkbox"``, ``"date"``, ``"datetime"``,
    ``"email"``, ``"url"``, ``"password"``, ``"json"``.
``per_page``
    Items per page of the list (default 20, at most the Api's ``POTION_MAX_PER_PAGE``).
``relations``
    ``{relation attribute: title}`` for the Relation sections of the item page.
``choices_limit``
    How many items of a referenced resource a select offers (default 500).
``title``
    What one item is called (``"Book"``): in "New Book", "Add Book" and an item
    without a label (default: ``Meta.title``, else the name in words, made singular).
``title_plural``
    What the items are called (``"Books"``): on the dashboard, in the menu and as the
    list's heading (default: ``title`` made plural).
"""

from __future__ import annotations

from typing import Any, Mapping

from ... import fields
from ...routes import Relation
from .dispatch import item_path

__all__ = ["AdminResource", "OPTION_KEYS", "humanize", "plural", "singular", "ACRONYMS"]

OPTION_KEYS = frozenset(
    {
        "columns",
        "search",
        "label",
        "fields",
        "widgets",
        "per_page",
        "relations",
        "choices_limit",
        "title",
        "title_plural",
    }
)
_LABEL_CANDIDATES = ("title", "name", "username", "label")
_IDENTITY_KEYS = ("$uri", "$id", "$type")
_MAX_COLUMNS = 7


#: Words shown upper-case in labels drawn from names (``isbn`` → ``ISBN``).
ACRONYMS = frozenset(
    {"api", "csv", "html", "http", "https", "id", "ip", "isbn", "json", "sku", "uri", "url", "uuid"}
)


def humanize(name: str) -> str:
    """A name in words: ``due_on`` → ``Due on``, ``isbn`` → ``ISBN``, ``user_id`` →
    ``User ID``, ``homepage_url`` → ``Homepage URL`` (see :data:`ACRONYMS`)."""
    words = name.lstrip("$").replace("_", " ").replace("-", " ").split()
    words = [word.upper() if word.lower() in ACRONYMS else word for word in words]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


_VOWELS = frozenset("aeiou")


def plural(word: str) -> str:
    """An English plural of the last word of ``word`` (``Book`` → ``Books``,
    ``Category`` → ``Categories``, ``Box`` → ``Boxes``); ``title_plural`` overrides it."""
    lower = word.lower()
    if not word or lower.endswith(("ies", "ses", "xes", "zes", "ches", "shes")):
        return word
    if lower.endswith("y") and len(word) > 1 and lower[-2] not in _VOWELS:
        return word[:-1] + "ies"
    if lower.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def singular(word: str) -> str:
    """The singular of a plural made by :func:`plural` (``Users`` → ``User``); other
    words as they are."""
    lower = word.lower()
    if lower.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if lower.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(word) > 1:
        return word[:-1]
    return word


def _docstring_line(resource: Any) -> str | None:
    doc = resource.__dict__.get("__doc__")
    if not doc:
        return None
    return doc.strip().split("\n\n")[0].replace("\n", " ").strip() or None


class AdminResource:
    """One resource as the admin shows it: title, label, columns, forms, routes."""

    def __init__(self, resource: Any, options: Mapping[str, Any] | None = None) -> None:
        self.resource = resource
        self.name: str = resource.meta.name
        options = dict(options or {})
        unknown = sorted(set(options) - OPTION_KEYS)
        if unknown:
            raise ValueError(
                f"{resource.__name__}: unknown admin option(s) {', '.join(unknown)} "
                f"(known: {', '.join(sorted(OPTION_KEYS))})"
            )
        self.options = options
        #: What one item is called ("Book") and what many are ("Books").
        self.title: str = str(
            options.get("title") or singular(resource.meta.get("title") or humanize(self.name))
        )
        self.title_plural: str = str(options.get("title_plural") or plural(self.title))
        self.description: str | None = resource.meta.get("description") or _docstring_line(resource)
        self.schema_fields: dict[str, Any] = dict(resource.schema.fields)
        manager = resource.manager
        self.filters: dict[str, dict[str, Any]] = dict(getattr(manager, "filters", {}) or {})
        self.sortable = set(getattr(manager, "sortable", {}) or {})
        self.rels = {route.rel for route in resource.routes.values()}
        self.id_key = "$id" if "$id" in self.schema_fields else "$uri"
        self.label_field = self._label_field()
        self.columns = self._columns()
        self.search_fields = self._search_fields()
        self.form_fields = [
            key
            for key in options.get("fields") or self.schema_fields
            if key in self.schema_fields and key not in _IDENTITY_KEYS
        ]
        self.per_page = int(options.get("per_page") or 20)
        self.choices_limit = int(options.get("choices_limit") or 500)
        self.relations = self._relations()

    # -- what the resource offers -------------------------------------------------

    @property
    def prefix(self) -> str:
        """The API URL of the resource (``/api/book``)."""
        return str(self.resource.route_prefix)

    def api_path(self, item_id: Any = None, *rest: str) -> str:
        if item_id is None:
            return self.prefix
        return item_path(self.prefix, item_id, *rest)

    def has_route(self, rel: str) -> bool:
        return rel in self.rels

    def can(self, action: str, item: Any = None) -> bool:
        """Whether the current user may do ``action`` (on ``item``), as the resource's
        permissions tell; the API checks again when the action is taken."""
        permissions = getattr(self.resource.manager, "permissions", None)
        if permissions is None:
            return True
        return bool(permissions.can(action, item))

    def load(self, item_id: Any) -> Any:
        """The item, loaded as the resource's item routes load it (narrowed by the
        user's read permission); for :meth:`can` checks on it."""
        id_field = self.resource.manager.id_field
        try:
            converted = id_field.convert_url_value(str(item_id))
        except (TypeError, ValueError):
            converted = item_id
        return self.resource().read_item(converted)

    def field_title(self, key: str) -> str:
        """The field's title, else its name in words."""
        field = self.schema_fields.get(key)
        return (getattr(field, "title", None) if field is not None else None) or humanize(key)

    # -- items as the API formats them ---------------------------------------------

    def id_of(self, item: Mapping[str, Any]) -> str:
        """The id of an item of the API (from its ``$uri`` or ``$id``)."""
        if self.id_key == "$id":
            return str(item.get("$id"))
        uri = str(item.get("$uri") or "")
        return uri[len(self.prefix) + 1 :] if uri.startswith(self.prefix + "/") else uri

    def label_of(self, item: Mapping[str, Any]) -> str:
        """An item's name for people: its label field, else ``Title id``."""
        if self.label_field is not None:
            value = item.get(self.label_field)
            if value not in (None, ""):
                return str(value)
        return f"{self.title} {self.id_of(item)}"

    # -- defaults ------------------------------------------------------------------

    def _readable(self, key: str) -> bool:
        return key in self.schema_fields and "r" in self.schema_fields[key].io

    def _label_field(self) -> str | None:
        chosen = self.options.get("label")
        if chosen:
            if not self._readable(chosen):
                raise ValueError(f"{self.resource.__name__}: admin label {chosen!r} is not a field")
            return str(chosen)
        natural = self.resource.meta.get("natural_key")
        candidates = list(_LABEL_CANDIDATES)
        if isinstance(natural, str):
            candidates.append(natural)
        for key in candidates:
            if self._readable(key) and isinstance(self.schema_fields[key], fields.String):
                return key
        for key, field in self.schema_fields.items():
            if self._readable(key) and isinstance(field, fields.String) and key[:1] != "$":
                return key
        return None

    def _columns(self) -> list[str]:
        chosen = self.options.get("columns")
        if chosen:
            missing = [key for key in chosen if not self._readable(key)]
            if missing:
                raise ValueError(
                    f"{self.resource.__name__}: admin columns {', '.join(missing)} "
                    "are not readable fields"
                )
            return list(chosen)
        columns = [self.label_field] if self.label_field else []
        for key, field in self.schema_fields.items():
            if len(columns) >= _MAX_COLUMNS:
                break
            if key in columns or key in _IDENTITY_KEYS or not self._readable(key):
                continue
            if isinstance(field, (fields.Array, fields.Object, fields.Inline, fields.Any)):
                continue
            columns.append(key)
        return columns

    def _search_fields(self) -> list[str]:
        chosen = self.options.get("search")
        if chosen is not None:
            wrong = [key for key in chosen if "icontains" not in self.filters.get(key, {})]
            if wrong:
                raise ValueError(
                    f"{self.resource.__name__}: admin search fields {', '.join(wrong)} "
                    "cannot be filtered with icontains"
                )
            return list(chosen)
        label = self.label_field
        if label is not None and "icontains" in self.filters.get(label, {}):
            return [label]
        return []

    def _relations(self) -> list[tuple[str, str, Any]]:
        """``(attribute, title, target resource)`` of each readable Relation."""
        titles = self.options.get("relations") or {}
        found = []
        for attribute, route_set in self.resource.route_sets.items():
            if not isinstance(route_set, Relation) or "r" not in route_set.io:
                continue
            name = route_set.attribute or attribute
            found.append((name, titles.get(name) or humanize(name), route_set.target))
        return found

    def relation_removable(self, target: Any) -> bool:
        """Whether an item can leave a Relation to ``target``: not when the target has a
        reference back to this resource that cannot be empty (a book's required
        author), as its schema says."""
        schema = getattr(target, "schema", None)
        if schema is None:
            return True
        for field in schema.fields.values():
            if not isinstance(field, fields.ToOne) or field.nullable:
                continue
            try:
                points_back = field.target is self.resource
            except Exception:  # an unresolvable reference: the start-up checks say so
                continue
            if points_back:
                return False
        return True

    def relation_rels(self, attribute: str) -> tuple[str, str, str]:
        """The rels of a relation's list, add and remove routes."""
        from ...routes import to_camel_case

        return (
            to_camel_case(attribute),
            to_camel_case(f"add_{attribute}"),
            to_camel_case(f"remove_{attribute}"),
        )

    def __repr__(self) -> str:
        return f"<AdminResource {self.name}>"
