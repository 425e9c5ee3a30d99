"""Flask-Potion's ``flask_potion.filters``: see :mod:`potion.filters`."""

from potion.filters import *  # noqa: F401,F403
from potion.filters import __all__ as __all__  # noqa: F401
