"""Flask-Potion's ``flask_potion.contrib.principals.needs``."""

from potion.permissions.principals import HybridItemNeed as HybridItemNeed
from potion.permissions.principals import HybridNeed as HybridNeed
from potion.permissions.principals import HybridRelationshipNeed as HybridRelationshipNeed
from potion.permissions.principals import HybridUserNeed as HybridUserNeed

__all__ = ["HybridNeed", "HybridItemNeed", "HybridRelationshipNeed", "HybridUserNeed"]
