"""Bearer-token authentication for both the requests and the httpx clients."""

from __future__ import annotations

from typing import Any

__all__ = ["HTTPBearerAuth"]


class HTTPBearerAuth:
    """Sends ``Authorization: Bearer <token>`` with every request.

    Usable as ``auth=`` of a requests ``Session`` (and so of :class:`~potion.client.Client`)
    and of an ``httpx`` client (and so of :class:`~potion.client.AsyncClient`): both call it
    with the outgoing request.
    """

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: Any) -> Any:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HTTPBearerAuth) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)

    def __repr__(self) -> str:
        return "HTTPBearerAuth(<token>)"
