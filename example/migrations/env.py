"""Alembic's environment for the lending library.

Potion runs it: ``python manage.py makemigrations`` and ``python manage.py migrate``.
"""

from potion.cli.migrate import run_environment

run_environment()
