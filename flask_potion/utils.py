"""Flask-Potion's ``flask_potion.utils``: see :mod:`potion.utils`."""

from potion.utils import AttributeDict as AttributeDict
from potion.utils import get_value as get_value
from potion.utils import route_from as route_from
from potion.utils import unpack as unpack

__all__ = ["route_from", "unpack", "get_value", "AttributeDict"]
