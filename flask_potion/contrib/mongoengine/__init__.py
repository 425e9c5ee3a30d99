"""Flask-Potion's ``flask_potion.contrib.mongoengine``: see :mod:`potion.backends.mongoengine`."""

from .manager import MongoEngineManager as MongoEngineManager

__all__ = ["MongoEngineManager"]
