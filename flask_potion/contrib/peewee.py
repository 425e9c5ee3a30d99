"""Flask-Potion's ``flask_potion.contrib.peewee``: see :mod:`potion.backends.peewee`."""

from potion.backends.peewee import PeeweeManager as PeeweeManager

__all__ = ["PeeweeManager"]
