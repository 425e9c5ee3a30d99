"""Flask-Potion's ``flask_potion.contrib.peewee.manager``."""

from potion.backends.peewee import PeeweeManager as PeeweeManager

__all__ = ["PeeweeManager"]
