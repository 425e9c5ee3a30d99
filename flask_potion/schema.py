"""Flask-Potion's ``flask_potion.schema``: see :mod:`potion.schema`."""

from potion.schema import *  # noqa: F401,F403
from potion.schema import SchemaImpl as SchemaImpl  # noqa: F401,E402
from potion.schema import __all__ as __all__  # noqa: F401
