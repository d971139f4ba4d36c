"""
The ``Authorization`` header of API requests, for both transports, from one :class:`Authorizer`.

:class:`Authorizer` decides what a request carries (the API key as Basic or ``api-key``, or an
OAuth2 bearer token from the process-wide :data:`~airflow_provider_planet_orders.core.auth.TOKEN_CACHE`)
and fetches tokens, with ``requests`` or ``httpx``. Two thin adapters plug it into the
transports: :class:`RequestsAuth` (``requests.auth.AuthBase``) for the sync hook's session and
:class:`HttpxAuth` (``httpx.Auth``) for the async hook's client. Both send credentials only to the
API's host, and on a 401 with an OAuth2 token forget that token and retry once with a fresh one.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator, Callable
from typing import Any

import httpx
import requests

from airflow_provider_planet_orders._compat import mask_secret
from airflow_provider_planet_orders.core.auth import (
    TOKEN_CACHE,
    AccessToken,
    AuthMethod,
    Credentials,
    TokenCache,
    token_fetch_failed,
    token_request,
)
from airflow_provider_planet_orders.core.build import USER_AGENT

#: Per event loop and client, a lock so that the triggers of one triggerer fetch one token at a time.
_ASYNC_FETCH_LOCKS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[Any, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


class Authorizer:
    """
    The ``Authorization`` value for API requests made with ``credentials``.

    For an API key it is fixed. For OAuth2 it is the cached token, fetched from the token URL
    (client credentials grant, prepared by Authlib) when there is none or it is about to expire.
    """

    def __init__(
        self,
        credentials: Credentials,
        timeout: tuple[float, float],
        cache: TokenCache = TOKEN_CACHE,
    ) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self.cache = cache

    @property
    def refreshable(self) -> bool:
        """Whether a 401 may be cured by a fresh token (OAuth2 only)."""
        return self.credentials.method is AuthMethod.OAUTH2

    def _known(self) -> str | None:
        static = self.credentials.static_header()
        if static is not None:
            return static
        token = self.cache.get(self.credentials)
        return token.header if token is not None else None

    def _keep(self, token: AccessToken) -> str:
        mask_secret(token.value)
        return token.header

    def header(self) -> str:
        """The header value, fetching a token with ``requests`` if needed (blocking)."""
        known = self._known()
        if known is not None:
            return known
        with self.cache.fetch_lock(self.credentials):
            known = self._known()  # another thread may have fetched it meanwhile
            if known is not None:
                return known
            url, headers, body = token_request(self.credentials)
            try:
                with requests.Session() as session:
                    session.trust_env = False
                    response = session.post(
                        url,
                        data=body,
                        headers={**headers, "User-Agent": USER_AGENT},
                        timeout=self.timeout,
                        allow_redirects=False,
                    )
                    content = response.content
            except requests.RequestException as err:
                raise token_fetch_failed(self.credentials, type(err).__name__) from None
            return self._keep(self.cache.store(self.credentials, response.status_code, content))

    async def aheader(self) -> str:
        """The header value, fetching a token with ``httpx`` if needed (never blocks the loop)."""
        known = self._known()
        if known is not None:
            return known
        locks = _ASYNC_FETCH_LOCKS.setdefault(asyncio.get_running_loop(), {})
        async with locks.setdefault(self.credentials.cache_key, asyncio.Lock()):
            known = self._known()
            if known is not None:
                return known
            url, headers, body = token_request(self.credentials)
            connect, read = self.timeout
            try:
                async with httpx.AsyncClient(
                    timeout=httpx.Timeout(read, connect=connect), trust_env=False
                ) as client:
                    response = await client.post(
                        url, content=body, headers={**headers, "User-Agent": USER_AGENT}
                    )
            except httpx.HTTPError as err:
                raise token_fetch_failed(self.credentials, type(err).__name__) from None
            return self._keep(self.cache.store(self.credentials, response.status_code, response.content))

    def refused(self, header: str | None) -> bool:
        """A request sent with ``header`` got a 401: whether to retry once with a fresh token."""
        return self.cache.invalidate(self.credentials, header)

    def __repr__(self) -> str:
        c = self.credentials
        client = f" client_id={c.client_id!r} token_url={c.token_url!r}" if self.refreshable else ""
        return f"<Authorizer {c.method.value}{client}>"


class RequestsAuth(requests.auth.AuthBase):
    """The :class:`Authorizer` as ``requests`` auth: API host only, one retry after a 401."""

    def __init__(self, authorizer: Authorizer, is_api_host: Callable[[str], bool]) -> None:
        self.authorizer = authorizer
        self.is_api_host = is_api_host

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if not self.is_api_host(request.url or ""):
            return request
        request.headers["Authorization"] = self.authorizer.header()
        if self.authorizer.refreshable:
            request.register_hook("response", self._retry_after_401)
        return request

    def _retry_after_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        sent = response.request
        if response.status_code != 401 or getattr(sent, "_planet_token_retried", False):
            return response
        if not self.authorizer.refused(sent.headers.get("Authorization")):
            return response
        response.content  # noqa: B018 - read the small error body, so the connection is reusable
        response.close()
        retry = sent.copy()
        retry.headers["Authorization"] = self.authorizer.header()
        retry._planet_token_retried = True  # type: ignore[attr-defined]
        retry.hooks = {"response": []}
        again = response.connection.send(retry, **kwargs)
        again.history.append(response)
        again.request = retry
        return again

    def __repr__(self) -> str:
        return f"<RequestsAuth {self.authorizer!r}>"


class HttpxAuth(httpx.Auth):
    """The :class:`Authorizer` as ``httpx`` auth (async only): API host only, one retry after a 401."""

    def __init__(self, authorizer: Authorizer, is_api_host: Callable[[str], bool]) -> None:
        self.authorizer = authorizer
        self.is_api_host = is_api_host

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if not self.is_api_host(str(request.url)):
            yield request
            return
        header = await self.authorizer.aheader()
        request.headers["Authorization"] = header
        response = yield request
        if response.status_code == 401 and self.authorizer.refused(header):
            await response.aread()
            request.headers["Authorization"] = await self.authorizer.aheader()
            yield request

    def __repr__(self) -> str:
        return f"<HttpxAuth {self.authorizer!r}>"


__all__ = ["Authorizer", "HttpxAuth", "RequestsAuth"]
