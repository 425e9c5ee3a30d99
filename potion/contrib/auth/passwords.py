"""Passwords: hashing with Argon2id, upgrading old hashes, and the validators.

A stored password is an Argon2id hash in its PHC string form
(``$argon2id$v=19$m=...,t=...,p=...$salt$hash``), each with its own random salt.
A hash made with other cost parameters, or in an older scheme (Django's
``pbkdf2_sha256$`` form, for users brought over from a Django project), is still
accepted and is replaced by a fresh Argon2id hash at the user's next login.

Validators run whenever a password is set.  Each is a callable
``validator(password, user) -> message or None``; the built-in ones are named in
``POTION_AUTH_PASSWORD_VALIDATORS`` and listed in :data:`VALIDATORS`.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import hmac
import re
import unicodedata
from difflib import SequenceMatcher
from importlib import resources
from typing import Any, Callable, Iterable

from argon2 import PasswordHasher as _Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ...exceptions import ValidationError

__all__ = [
    "PasswordHasher",
    "VALIDATORS",
    "Validator",
    "validate_password",
    "minimum_length",
    "not_numeric",
    "not_similar_to_user",
    "not_common",
    "common_passwords",
]

#: A validator: ``(password, user or None, app config) -> error message or None``.
Validator = Callable[[str, Any, Any], "str | None"]


class PasswordHasher:
    """Hashes and checks passwords with Argon2id (argon2-cffi).

    :param time_cost: iterations.
    :param memory_cost: memory in KiB.
    :param parallelism: lanes.
    """

    def __init__(self, time_cost: int = 3, memory_cost: int = 65536, parallelism: int = 4) -> None:
        self._argon2 = _Argon2Hasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=Type.ID,
        )
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        """A new salted hash of ``password``."""
        return self._argon2.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Whether ``password`` matches the ``stored`` hash (False for no or a bad hash)."""
        if not stored:
            self.verify_nothing(password)
            return False
        if stored.startswith("pbkdf2_sha256$"):
            return _verify_pbkdf2(stored, password)
        try:
            return self._argon2.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` should be replaced by a hash with today's scheme and costs."""
        if not stored.startswith("$argon2id$"):
            return True
        try:
            return self._argon2.check_needs_rehash(stored)
        except (InvalidHashError, ValueError):
            return True

    def verify_nothing(self, password: str) -> None:
        """Spend the time of one verification, for a user that does not exist.

        The answer for an unknown user then takes as long as for a wrong password.
        """
        if self._dummy is None:
            self._dummy = self.hash("potion: no such user")
        try:
            self._argon2.verify(self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            pass


def _verify_pbkdf2(stored: str, password: str) -> bool:
    """Check a Django-style ``pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`` hash."""
    try:
        _algorithm, iterations, salt, expected = stored.split("$", 3)
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(base64.b64encode(digest).decode(), expected)


def make_pbkdf2(password: str, salt: str, iterations: int = 600_000) -> str:
    """A ``pbkdf2_sha256$`` hash, as older systems stored them (used to test upgrades)."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


# -- validators --------------------------------------------------------------------


def minimum_length(password: str, user: Any, config: Any) -> str | None:
    """At least ``POTION_AUTH_PASSWORD_MIN_LENGTH`` characters."""
    least = int(_config(config, "POTION_AUTH_PASSWORD_MIN_LENGTH"))
    if len(password) < least:
        return f"The password must have at least {least} characters"
    return None


def not_numeric(password: str, user: Any, config: Any) -> str | None:
    """Not made of digits only."""
    if password.isdigit():
        return "The password must not be entirely numeric"
    return None


_SIMILAR_ATTRIBUTES = ("username", "email", "first_name", "last_name")


def not_similar_to_user(password: str, user: Any, config: Any) -> str | None:
    """Not the username or email (or a large part of them, or close to them)."""
    if user is None:
        return None
    folded = _fold(password)
    for attribute in _SIMILAR_ATTRIBUTES:
        value = user.get(attribute) if isinstance(user, dict) else getattr(user, attribute, None)
        if not isinstance(value, str) or not value:
            continue
        value = _fold(value)
        parts = {value, *re.split(r"\W+", value)}
        for part in parts:
            if len(part) < 3:
                continue
            if part in folded or (len(folded) >= 3 and folded in part):
                return f"The password is too similar to the {attribute.replace('_', ' ')}"
            if SequenceMatcher(a=folded, b=part).quick_ratio() >= 0.7 and (
                SequenceMatcher(a=folded, b=part).ratio() >= 0.7
            ):
                return f"The password is too similar to the {attribute.replace('_', ' ')}"
    return None


def not_common(password: str, user: Any, config: Any) -> str | None:
    """Not in the list of common passwords shipped with Potion."""
    if _fold(password) in common_passwords():
        return "The password is too common"
    return None


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (lower case; see tools/make_common_passwords.py)."""
    data = resources.files(__package__).joinpath("data", "common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


def _config(config: Any, key: str) -> Any:
    from .settings import DEFAULTS

    if config is None:
        return DEFAULTS[key]
    return config.get(key, DEFAULTS[key])


#: The built-in validators by the names ``POTION_AUTH_PASSWORD_VALIDATORS`` uses.
VALIDATORS: dict[str, Validator] = {
    "minimum_length": minimum_length,
    "not_numeric": not_numeric,
    "not_similar_to_user": not_similar_to_user,
    "not_common": not_common,
}


def resolve_validators(names: Iterable[Any]) -> list[Validator]:
    """Validator callables for the names or callables of the setting."""
    result = []
    for entry in names or ():
        if callable(entry):
            result.append(entry)
        elif entry in VALIDATORS:
            result.append(VALIDATORS[entry])
        else:
            raise ValueError(
                f"Unknown password validator {entry!r}; built-in ones: {', '.join(VALIDATORS)}"
            )
    return result


def validate_password(
    password: Any, user: Any = None, config: Any = None, field: str = "password"
) -> None:
    """Raise a 400 :class:`~potion.exceptions.ValidationError` naming ``field`` when the
    password fails a validator (every failure is listed); return None when it passes.

    :param user: the user (or a dict of its attributes) the password is for.
    :param config: the app's config (``app.config``); the defaults when None.
    """
    if not isinstance(password, str):
        raise ValidationError(
            [{"path": [field], "message": "The password must be a string"}],
            message="Invalid password",
        )
    maximum = int(_config(config, "POTION_AUTH_PASSWORD_MAX_LENGTH"))
    if len(password) > maximum:
        messages = [f"The password must have at most {maximum} characters"]
    else:
        names = _config(config, "POTION_AUTH_PASSWORD_VALIDATORS")
        messages = [
            message
            for validator in resolve_validators(names)
            if (message := validator(password, user, config)) is not None
        ]
    if messages:
        raise ValidationError(
            [{"path": [field], "message": message} for message in messages],
            message="The password was refused",
        )
