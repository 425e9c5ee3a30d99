"""Flask-Potion's ``flask_potion.contrib.alchemy.filters``."""

from potion.backends.sqlalchemy.filters import *  # noqa: F401,F403
from potion.backends.sqlalchemy.filters import __all__ as __all__  # noqa: F401
