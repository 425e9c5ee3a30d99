"""Flask-Potion's ``flask_potion.contrib.peewee``: see :mod:`potion.backends.peewee`."""

from .manager import PeeweeManager as PeeweeManager

__all__ = ["PeeweeManager"]
