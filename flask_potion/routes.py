"""Flask-Potion's ``flask_potion.routes``: see :mod:`potion.routes`."""

from potion.routes import *  # noqa: F401,F403
from potion.routes import __all__ as __all__  # noqa: F401
from potion.routes import to_camel_case as to_camel_case  # noqa: F401,E402
