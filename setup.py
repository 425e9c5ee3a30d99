"""Packaging: setup.cfg holds the metadata, the dependencies and the package data; this
file adds the repository's top-level ``project_template/`` folder to the wheel as
``potion/project_template`` (``potion startproject`` copies it)."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["potion", "potion.*", "flask_potion", "flask_potion.*"]),
        "potion.project_template",
    ],
    package_dir={"potion.project_template": "project_template"},
)
