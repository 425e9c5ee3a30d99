"""What every part of the SQLAlchemy manager relies on: the model, its session."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import orm


class SQLAlchemyBase:
    """The attributes the manager's parts share (set up by :class:`SQLAlchemyManager`)."""

    model: Any
    mapper: orm.Mapper[Any]
    resource: Any
    id_attribute: str
    id_column: Any
    #: the id column as a model attribute (``Model.id``), for queries
    _id_instrumented: Any
    _id_type: type | None
    #: foreign key attribute -> schema key of the ToOne over it
    _fk_fields: dict[str, str]
    #: loader options of the relationships the schema reads
    _eager: list[Any]
    #: ``Meta.query_options``: criteria (every statement) and loader options (entities)
    _criteria: list[Any]
    _loader_options: list[Any]
    #: shape of a list query -> its (count, page) statements
    _page_statements_by_shape: dict[Any, tuple[Any, Any]]

    @property
    def session(self) -> orm.scoped_session[Any]:
        return current_app.extensions["sqlalchemy"].session

    def _dialect(self) -> str:
        return self.session.get_bind(self.mapper).dialect.name

    def _ensure_plan(self) -> None:
        """Work out how the built-in reads run (done by :class:`SQLAlchemyManager`)."""
        raise NotImplementedError
