"""Flask-Potion compatibility: the original import paths, served by Potion.

Code written for Flask-Potion (``from flask_potion import Api, ModelResource,
fields``, ``from flask_potion.routes import ItemRoute``,
``from flask_potion.contrib.alchemy import SQLAlchemyManager`` ...) runs unchanged.
"""

from potion import Api as Api
from potion import ModelResource as ModelResource
from potion import Resource as Resource
from potion.exceptions import PotionException as PotionException
from potion.routes import RouteSet as RouteSet
from potion.routes import to_camel_case as to_camel_case

from . import exceptions as exceptions
from . import fields as fields
from . import filters as filters
from . import instances as instances
from . import manager as manager
from . import natural_keys as natural_keys
from . import reference as reference
from . import resource as resource
from . import routes as routes
from . import schema as schema
from . import signals as signals
from . import utils as utils

__all__ = [
    "Api",
    "Resource",
    "ModelResource",
    "fields",
    "filters",
    "manager",
    "instances",
    "routes",
    "schema",
    "signals",
    "contrib",
    "natural_keys",
]
