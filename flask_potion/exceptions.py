"""Flask-Potion's ``flask_potion.exceptions``: see :mod:`potion.exceptions`."""

from potion.exceptions import *  # noqa: F401,F403
from potion.exceptions import __all__ as __all__  # noqa: F401
