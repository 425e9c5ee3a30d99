"""Flask-Potion's ``flask_potion.manager``: see :mod:`potion.backends`."""

from potion.backends import Manager as Manager
from potion.backends import RelationalManager as RelationalManager

__all__ = ["Manager", "RelationalManager"]
