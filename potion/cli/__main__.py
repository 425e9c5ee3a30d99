"""``python -m potion.cli``: the ``potion`` command."""

from . import console

console()
