"""Flask-Potion's ``flask_potion.contrib.mongoengine``: see :mod:`potion.backends.mongoengine`."""

from potion.backends.mongoengine import MongoEngineManager as MongoEngineManager

__all__ = ["MongoEngineManager"]
