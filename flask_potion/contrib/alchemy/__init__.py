"""Flask-Potion's ``flask_potion.contrib.alchemy``: see :mod:`potion.backends.sqlalchemy`."""

from .manager import SQLAlchemyManager as SQLAlchemyManager

__all__ = ["SQLAlchemyManager"]
