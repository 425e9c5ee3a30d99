"""Flask-Potion's ``flask_potion.instances``: see :mod:`potion.instances`."""

from potion.instances import *  # noqa: F401,F403
from potion.instances import __all__ as __all__  # noqa: F401
