"""Flask-Potion's ``flask_potion.natural_keys``: see :mod:`potion.natural_keys`."""

from potion.natural_keys import *  # noqa: F401,F403
from potion.natural_keys import __all__ as __all__  # noqa: F401
