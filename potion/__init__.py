"""Potion: REST APIs with a self-describing schema, on Flask.

The public face of the REST engine::

    from potion import Api, ModelResource, fields
    from potion.routes import ItemRoute
"""

from __future__ import annotations

from . import exceptions as exceptions
from . import fields as fields
from . import filters as filters
from . import instances as instances
from . import natural_keys as natural_keys
from . import permissions as permissions
from . import routes as routes
from . import schema as schema
from . import signals as signals
from .api import Api as Api
from .resource import ModelResource as ModelResource
from .resource import Resource as Resource
from .routes import ItemAttributeRoute as ItemAttributeRoute
from .routes import ItemRoute as ItemRoute
from .routes import Relation as Relation
from .routes import Route as Route

__version__ = "0.1.0"

__all__ = [
    "Api",
    "Resource",
    "ModelResource",
    "Route",
    "ItemRoute",
    "ItemAttributeRoute",
    "Relation",
    "fields",
    "filters",
    "instances",
    "natural_keys",
    "permissions",
    "routes",
    "schema",
    "signals",
    "exceptions",
]
