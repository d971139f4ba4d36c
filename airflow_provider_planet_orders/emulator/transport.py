"""
Dropping connections for real.

ASGI gives an application no way to close its connection: raising makes uvicorn answer 500, and
a client that gets a 500 has seen a response. To emulate a network failure the emulator runs
uvicorn with :func:`protocol_class`, a subclass of uvicorn's HTTP protocol that registers each
connection's transport under the (server, client) addresses found in every ASGI scope; routes
then call :func:`abort` and the client meets a reset or an incomplete response.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

#: Live transports of every emulator in the process, by ``(server address, client address)``.
_TRANSPORTS: dict[tuple[Any, Any], asyncio.Transport] = {}


def _key(server: Any, client: Any) -> tuple[Any, Any]:
    return (tuple(server) if server else None, tuple(client) if client else None)


class _RegisteringProtocol:
    """Mixin over uvicorn's HTTP protocol: keep the transport findable from the scope."""

    server: Any
    client: Any

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        _TRANSPORTS[_key(self.server, self.client)] = transport

    def connection_lost(self, exc: Exception | None) -> None:
        _TRANSPORTS.pop(_key(self.server, self.client), None)
        super().connection_lost(exc)  # type: ignore[misc]


def protocol_class() -> type[asyncio.Protocol]:
    """uvicorn's fastest available HTTP/1.1 protocol, with transport registration."""
    base: type[asyncio.Protocol]
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        base = HttpToolsProtocol
    except ImportError:  # pragma: no cover - httptools is part of uvicorn[standard]
        from uvicorn.protocols.http.h11_impl import H11Protocol

        base = H11Protocol
    return type("EmulatorHTTPProtocol", (_RegisteringProtocol, base), {})


def transport_for(scope: MutableMapping[str, Any]) -> asyncio.Transport | None:
    return _TRANSPORTS.get(_key(scope.get("server"), scope.get("client")))


def can_abort(scope: MutableMapping[str, Any]) -> bool:
    """Whether this request arrived through the emulator's protocol (not, say, a test client)."""
    return transport_for(scope) is not None


async def drop(scope: MutableMapping[str, Any], *, flush: bool = False) -> None:
    """
    Close the request's connection without (the rest of) a response.

    ``flush=False`` aborts at once: what is still buffered is lost (a drop before any response).
    ``flush=True`` sends what is buffered first, then closes: the client holds part of a body
    and meets an early end (a drop mid-file). Either way this returns once uvicorn has seen the
    connection lost, so that it neither answers 500 nor logs an incomplete response.
    """
    transport = transport_for(scope)
    if transport is None:
        raise ConnectionAbortError("this request did not come through the emulator's server")
    if flush:
        transport.close()
    else:
        transport.abort()
    key = _key(scope.get("server"), scope.get("client"))
    for _ in range(2000):
        if _TRANSPORTS.get(key) is not transport:
            return
        await asyncio.sleep(0.001)


def is_closing(scope: MutableMapping[str, Any]) -> bool:
    """Whether the client has gone, so that a streaming response stops generating bytes."""
    transport = transport_for(scope)
    return transport is not None and transport.is_closing()


class ConnectionAbortError(RuntimeError):
    """The connection could not be dropped (the app is not served by the emulator's server)."""


class DropConnection(Exception):
    """Raised by a route: the middleware drops the connection instead of answering."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind
