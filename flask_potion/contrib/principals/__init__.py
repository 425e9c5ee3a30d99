"""Flask-Potion's ``flask_potion.contrib.principals``: see :mod:`potion.permissions`.

``Meta.manager = principals(SQLAlchemyManager)`` checks ``Meta.permissions`` with
the identity Flask-Principal keeps in ``g.identity`` (or the Api's identity source).
"""

from potion.permissions.principals import PrincipalMixin as PrincipalMixin
from potion.permissions.principals import principals as principals

from . import needs as needs
from . import permission as permission

__all__ = ["principals", "PrincipalMixin", "needs", "permission"]
