"""The example project of Potion: a small lending library.

Authors write books; members borrow them; a loan belongs to one member, who sees
and returns only their own loans, while librarians (a role) see and manage all.
Start it from the repository's root with ``python manage.py demo``.

The package is laid out as ``potion startproject`` lays out a project: the
settings in ``settings.py``, the first (and only) app's models, resources and
commands in ``models.py``, ``resources.py`` and ``commands.py``, the migrations in
``migrations/``, and ``wsgi.py`` for gunicorn.
"""
