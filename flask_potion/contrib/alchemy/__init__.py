"""Flask-Potion's ``flask_potion.contrib.alchemy``: see :mod:`potion.backends.sqlalchemy`."""

from potion.backends.sqlalchemy import SQLAlchemyManager as SQLAlchemyManager

__all__ = ["SQLAlchemyManager"]
