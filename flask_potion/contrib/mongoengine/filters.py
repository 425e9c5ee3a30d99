"""Flask-Potion's ``flask_potion.contrib.mongoengine.filters``: ``FILTER_NAMES``,
``FILTERS_BY_TYPE`` and the filter classes of the MongoEngine backend."""

from potion.backends.mongoengine.filters import *  # noqa: F401,F403
from potion.backends.mongoengine.filters import __all__ as __all__  # noqa: F401
