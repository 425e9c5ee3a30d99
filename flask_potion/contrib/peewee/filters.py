"""Flask-Potion's ``flask_potion.contrib.peewee.filters``: ``FILTER_NAMES``,
``FILTERS_BY_TYPE`` and the filter classes of the peewee backend."""

from potion.backends.peewee.filters import *  # noqa: F401,F403
from potion.backends.peewee.filters import __all__ as __all__  # noqa: F401
