"""Flask-Potion's ``flask_potion.contrib.alchemy.fields``."""

from potion.backends.sqlalchemy.fields import InlineModel as InlineModel

__all__ = ["InlineModel"]
