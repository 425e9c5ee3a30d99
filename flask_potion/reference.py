"""Flask-Potion's ``flask_potion.reference``: resolving resources by reference, and
things bound to one resource."""

from potion.fields.references import ResourceReference as ResourceReference
from potion.schema import ResourceBound as ResourceBound

__all__ = ["ResourceReference", "ResourceBound"]
