"""potion.client: a Python client of Potion APIs (``pip install potion[client]``).

It reads an API's JSON Hyper-Schema and builds a class per resource, with the public
API of potion-client 2.5, so code written for it moves by changing one import::

    from potion.client import Client

    client = Client("http://localhost:5000/api")
    book = client.Book(title="Origin", author=client.Author.first(where={"last_name": "Darwin"}))
    book.save()

:class:`AsyncClient` is the asyncio variant; ``python -m potion.client stubs URL``
writes typed stubs of an API.  ``import potion`` does not import this package.
"""

from __future__ import annotations

from .aio import AsyncClient as AsyncClient
from .aio import AsyncResource as AsyncResource
from .auth import HTTPBearerAuth as HTTPBearerAuth
from .collection import AsyncPaginatedList as AsyncPaginatedList
from .collection import PaginatedList as PaginatedList
from .exceptions import APIError as APIError
from .exceptions import Conflict as Conflict
from .exceptions import Forbidden as Forbidden
from .exceptions import ItemNotFound as ItemNotFound
from .exceptions import MultipleItemsFound as MultipleItemsFound
from .exceptions import NotLoaded as NotLoaded
from .exceptions import TooManyRequests as TooManyRequests
from .exceptions import Unauthorized as Unauthorized
from .exceptions import ValidationError as ValidationError
from .resource import Resource as Resource
from .sync import Client as Client

ASC = ASCENDING = False
"""``sort={"name": ASC}``: ascending."""
DESC = DESCENDING = True
"""``sort={"name": DESC}``: descending."""

__all__ = [
    "Client",
    "AsyncClient",
    "Resource",
    "AsyncResource",
    "PaginatedList",
    "AsyncPaginatedList",
    "HTTPBearerAuth",
    "ASC",
    "ASCENDING",
    "DESC",
    "DESCENDING",
    "APIError",
    "ValidationError",
    "Unauthorized",
    "Forbidden",
    "ItemNotFound",
    "Conflict",
    "TooManyRequests",
    "MultipleItemsFound",
    "NotLoaded",
]
