"""Flask-Potion's ``flask_potion.contrib.memory.manager``."""

from potion.backends.memory import MemoryManager as MemoryManager

__all__ = ["MemoryManager"]
