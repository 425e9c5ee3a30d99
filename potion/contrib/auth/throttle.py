"""Throttling of login and token attempts, counted where every worker sees the count.

Each failed attempt is recorded twice: under the username it named and under the
client address it came from.  When either has ``limit`` failures inside the
sliding window, further attempts are refused with 429 and ``Retry-After`` (the
seconds until the oldest counted failure leaves the window), before the password
is even looked at.  A successful login clears its username's failures.

Counters live in the database (``auth_attempt``) or in Redis when
``POTION_AUTH_REDIS_URL`` is set, never in process memory, so the limit holds
across gunicorn workers and hosts.  Keys are SHA-256 hashes: no username or address
is stored in clear.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from typing import Any

import sqlalchemy as sa

from .errors import TooManyAttempts
from .models import normalize_username
from .settings import setting

__all__ = ["Throttle", "DatabaseAttempts", "RedisAttempts"]


def _now_ms() -> int:
    return int(time.time() * 1000)


class DatabaseAttempts:
    """Failed attempts as rows of ``auth_attempt`` (written on a connection of their own)."""

    def __init__(self, db: Any, model: Any) -> None:
        self.db = db
        self.table = model.__table__

    def oldest_over(self, key: str, since: int, limit: int) -> int | None:
        """The time of the failure whose expiry brings ``key`` under ``limit``, or None."""
        table = self.table
        with self.db.engine.connect() as connection:
            count = connection.execute(
                sa.select(sa.func.count()).where(table.c.key_hash == key, table.c.at > since)
            ).scalar_one()
            if count < limit:
                return None
            return connection.execute(
                sa.select(table.c.at)
                .where(table.c.key_hash == key, table.c.at > since)
                .order_by(table.c.at)
                .offset(count - limit)
                .limit(1)
            ).scalar_one()

    def add(self, keys: list[str], now: int, window_ms: int) -> None:
        table = self.table
        with self.db.engine.begin() as connection:
            connection.execute(
                sa.delete(table).where(table.c.key_hash.in_(keys), table.c.at <= now - window_ms)
            )
            connection.execute(sa.insert(table), [{"key_hash": key, "at": now} for key in keys])

    def clear(self, key: str) -> None:
        with self.db.engine.begin() as connection:
            connection.execute(sa.delete(self.table).where(self.table.c.key_hash == key))

    def purge(self, before: int) -> int:
        with self.db.engine.begin() as connection:
            return int(
                connection.execute(sa.delete(self.table).where(self.table.c.at <= before)).rowcount
            )


class RedisAttempts:
    """Failed attempts as sorted sets ``<prefix>attempts:<key>`` scored by time."""

    def __init__(self, client: Any, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}attempts:{key}"

    def oldest_over(self, key: str, since: int, limit: int) -> int | None:
        name = self._name(key)
        self.client.zremrangebyscore(name, 0, since)
        count = self.client.zcard(name)
        if count < limit:
            return None
        entries = self.client.zrange(name, count - limit, count - limit, withscores=True)
        return int(entries[0][1]) if entries else None

    def add(self, keys: list[str], now: int, window_ms: int) -> None:
        pipe = self.client.pipeline()
        for key in keys:
            name = self._name(key)
            pipe.zadd(name, {f"{now}:{secrets.token_hex(4)}": now})
            pipe.zremrangebyscore(name, 0, now - window_ms)
            pipe.pexpire(name, window_ms)
        pipe.execute()

    def clear(self, key: str) -> None:
        self.client.delete(self._name(key))

    def purge(self, before: int) -> int:
        return 0  # the sets expire by themselves


class Throttle:
    """Counts failures per username and per address and refuses attempts over the limits."""

    def __init__(self, store: Any, app: Any) -> None:
        self.store = store
        self.app = app

    @property
    def window_ms(self) -> int:
        return int(setting(self.app, "POTION_AUTH_THROTTLE_WINDOW")) * 1000

    @staticmethod
    def username_key(username: str) -> str:
        return "u:" + hashlib.sha256(normalize_username(username).encode()).hexdigest()[:62]

    @staticmethod
    def address_key(address: str | None) -> str:
        return "a:" + hashlib.sha256((address or "-").encode()).hexdigest()[:62]

    def _limits(self, username: str, address: str | None) -> list[tuple[str, int]]:
        return [
            (
                self.username_key(username),
                int(setting(self.app, "POTION_AUTH_THROTTLE_USERNAME_LIMIT")),
            ),
            (
                self.address_key(address),
                int(setting(self.app, "POTION_AUTH_THROTTLE_ADDRESS_LIMIT")),
            ),
        ]

    def check(self, username: str, address: str | None) -> None:
        """Raise :class:`TooManyAttempts` when the username or the address is over its limit."""
        now = _now_ms()
        window = self.window_ms
        waits = []
        for key, limit in self._limits(username, address):
            if limit <= 0:
                continue
            oldest = self.store.oldest_over(key, now - window, limit)
            if oldest is not None:
                waits.append(oldest + window - now)
        if waits:
            raise TooManyAttempts(math.ceil(max(waits) / 1000))

    def failed(self, username: str, address: str | None) -> None:
        """Count a failed attempt for the username and for the address."""
        keys = [key for key, _ in self._limits(username, address)]
        self.store.add(keys, _now_ms(), self.window_ms)

    def succeeded(self, username: str) -> None:
        """A successful login: forget the username's failures."""
        self.store.clear(self.username_key(username))

    def purge(self) -> int:
        """Forget failures that left the window; returns how many rows went."""
        return self.store.purge(_now_ms() - self.window_ms)
