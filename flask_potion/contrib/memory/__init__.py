"""Flask-Potion's ``flask_potion.contrib.memory``: see :mod:`potion.backends.memory`."""

from .manager import MemoryManager as MemoryManager

__all__ = ["MemoryManager"]
