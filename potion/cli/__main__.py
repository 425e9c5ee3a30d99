"""``python -m potion.cli``: the ``potion`` command."""

from . import main

main(prog_name="potion")
