"""Python names for what a Potion schema names: resource classes and link methods."""

from __future__ import annotations

import keyword
import re

__all__ = ["upper_camel_case", "snake_case", "is_identifier"]

_WORD_START = re.compile(r"(^|[^A-Za-z])([a-z])")
_HUMP = re.compile(r"(?<!^)([A-Z])")


def upper_camel_case(name: str) -> str:
    """The class name of a resource: ``book_store`` → ``BookStore``.

    Each letter that follows a non-letter is capitalised and the others lowered, then
    ``_`` and ``-`` are dropped (so ``book2go`` → ``Book2Go``, as potion-client named it).
    """
    lowered = name.lower()
    capitalised = _WORD_START.sub(lambda m: m.group(1) + m.group(2).upper(), lowered)
    return capitalised.replace("_", "").replace("-", "")


def snake_case(rel: str) -> str:
    """The method name of a link: ``readShout`` → ``read_shout``, ``addBooks`` → ``add_books``."""
    if not rel:
        return rel
    return rel[0].lower() + _HUMP.sub(r"_\1", rel[1:]).lower()


def is_identifier(name: str) -> bool:
    """True when ``name`` can be a Python attribute written as ``obj.name``."""
    return name.isidentifier() and not keyword.iskeyword(name)
