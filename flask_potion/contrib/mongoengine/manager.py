"""Flask-Potion's ``flask_potion.contrib.mongoengine.manager``."""

from potion.backends.mongoengine import MongoEngineManager as MongoEngineManager

__all__ = ["MongoEngineManager"]
