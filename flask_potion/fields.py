"""Flask-Potion's ``flask_potion.fields``: see :mod:`potion.fields`."""

from potion.fields import *  # noqa: F401,F403
from potion.fields import __all__ as __all__  # noqa: F401
