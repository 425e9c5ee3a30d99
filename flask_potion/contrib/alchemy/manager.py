"""Flask-Potion's ``flask_potion.contrib.alchemy.manager``."""

from potion.backends.sqlalchemy import SQLAlchemyManager as SQLAlchemyManager

__all__ = ["SQLAlchemyManager"]
