"""Flask-Potion's ``flask_potion.signals``: see :mod:`potion.signals`."""

from potion.signals import *  # noqa: F401,F403
from potion.signals import __all__ as __all__  # noqa: F401
