"""Flask-Potion's ``flask_potion.resource``: see :mod:`potion.resource`."""

from potion.resource import ModelResource as ModelResource
from potion.resource import ModelResourceMeta as ModelResourceMeta
from potion.resource import Resource as Resource
from potion.resource import ResourceMeta as ResourceMeta

__all__ = ["Resource", "ModelResource", "ResourceMeta", "ModelResourceMeta"]
