"""Flask-Potion's ``flask_potion.contrib.principals.permission``."""

from potion.permissions.principals import HybridPermission as HybridPermission

__all__ = ["HybridPermission"]
