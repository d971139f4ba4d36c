"""
Hooks for Planet's Orders API v2.

:class:`PlanetOrdersHook` (``requests`` + ``tenacity``) serves operators on workers;
:class:`PlanetOrdersAsyncHook` (``httpx``) serves triggers in the triggerer's event loop. Both
build requests, read responses and decide on retries and pacing through
:mod:`airflow_provider_planet_orders.core`; this module only moves bytes and owns sessions.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import requests
import tenacity
from requests.auth import HTTPBasicAuth

from airflow_provider_planet_orders._compat import (
    AirflowNotFoundException,
    BaseHook,
    get_async_connection,
    get_async_extra,
    mask_secret,
)
from airflow_provider_planet_orders.core.api import Endpoint
from airflow_provider_planet_orders.core.build import USER_AGENT, ApiRequest, RequestBuilder
from airflow_provider_planet_orders.core.policy import (
    RATE_LIMITER,
    ClientSettings,
    RateLimiter,
    final_error,
    key_fingerprint,
    rate_bucket,
)
from airflow_provider_planet_orders.core.responses import Listing, error_for, expect_object, interpret
from airflow_provider_planet_orders.exceptions import (
    PlanetConfigurationError,
    PlanetConnectionError,
    PlanetOrdersError,
)
from airflow_provider_planet_orders.get_provider_info import UI_FIELD_BEHAVIOUR

if TYPE_CHECKING:
    import httpx

    from airflow_provider_planet_orders.core.build import TimeFilter

API_KEY_ENV = "PL_API_KEY"

log = logging.getLogger(__name__)


class _PlanetHookBase(BaseHook):
    """Connection handling shared by the sync and async hooks."""

    conn_name_attr = "planet_conn_id"
    default_conn_name = "planet_default"
    conn_type = "planet"
    hook_name = "Planet Orders"

    def __init__(self, planet_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.planet_conn_id = planet_conn_id
        self.limiter: RateLimiter = RATE_LIMITER
        self._api_key: str | None = None
        self._settings: ClientSettings | None = None
        self._builder: RequestBuilder | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Connection form for Airflow before 3.2, which does not read it from the provider info."""
        return {key: (list(v) if isinstance(v, list) else dict(v)) for key, v in UI_FIELD_BEHAVIOUR.items()}

    def _configure(
        self, password: str | None, host: str | None, extras: Mapping[str, Any], port: int | None = None
    ) -> None:
        api_key = (password or "").strip() or os.environ.get(API_KEY_ENV, "").strip()
        if not api_key:
            raise PlanetConfigurationError(
                f"planet connection {self.planet_conn_id!r} has no API key: put it in the "
                f"connection's password (shown as 'API key') or set {API_KEY_ENV}"
            )
        mask_secret(api_key)
        self._settings = ClientSettings.from_connection(host, extras, port)
        self._builder = RequestBuilder(self._settings.base_url)
        self._api_key = api_key

    @property
    def settings(self) -> ClientSettings:
        if self._settings is None:
            self._load_connection()
        assert self._settings is not None
        return self._settings

    @property
    def builder(self) -> RequestBuilder:
        if self._builder is None:
            self._load_connection()
        assert self._builder is not None
        return self._builder

    def _load_connection(self) -> None:
        try:
            conn = self.get_connection(self.planet_conn_id)
        except AirflowNotFoundException:
            if not self._env_key_fallback():
                raise
            return
        self._configure(conn.password, conn.host, conn.extra_dejson, conn.port)

    def _env_key_fallback(self) -> bool:
        """Without a ``planet_default`` connection, ``PL_API_KEY`` alone is enough (Planet's defaults)."""
        if self.planet_conn_id != self.default_conn_name or not os.environ.get(API_KEY_ENV, "").strip():
            return False
        self.log.info("No %r connection; using %s and Planet's defaults", self.planet_conn_id, API_KEY_ENV)
        self._configure(None, None, {})
        return True

    def _pace_seconds(self, endpoint: Endpoint) -> float:
        rate = self.settings.rate_for(endpoint)
        if rate is None:
            return 0.0
        assert self._api_key is not None
        return self.limiter.reserve(rate_bucket(self._api_key, self.settings, endpoint), rate)

    def order_api_url(self, order_id: str) -> str:
        """The order's URL on the API (for links and XCom)."""
        return self.builder.order_url(order_id)

    def _log_retry(self, request: ApiRequest, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        self.log.warning(
            "%s failed (%s); retry %d of %d in %.1f s",
            request.describe(),
            error,
            state.attempt_number,
            self.settings.max_retries,
            wait,
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} planet_conn_id={self.planet_conn_id!r}>"


def _connection_error(request: ApiRequest, error: Exception, *, request_sent: bool) -> PlanetConnectionError:
    # Only the exception's class and the path: transport messages can quote whole URLs, and
    # download URLs carry signed tokens in their query strings.
    reason = type(error).__name__
    root = error
    while root.__cause__ is not None or root.__context__ is not None:
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
    if isinstance(root, OSError) and root.strerror:
        reason += f" ({root.strerror})"
    elif root is not error:
        reason += f" ({type(root).__name__})"
    stage = "after sending the request" if request_sent else "before the request was sent"
    return PlanetConnectionError(
        f"{request.describe()} failed {stage}: {reason}",
        request_sent=request_sent,
        operation=request.operation,
        method=request.method,
        path=request.path,
    )


def _no_auth(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def _requests_error_sent(error: requests.RequestException) -> bool:
    """Whether a ``requests`` failure may have happened after the request reached the server."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError):
        # urllib3 wraps "could not connect" (refused, DNS) in NewConnectionError.
        text = repr(error.args[0]) if error.args else ""
        return not any(s in text for s in ("NewConnectionError", "NameResolutionError", "ConnectTimeout"))
    return True


class PlanetOrdersHook(_PlanetHookBase):
    """
    Calls every Planet Orders API v2 endpoint, with retries, rate limiting and paging.

    The API key is the ``planet`` connection's password (or ``PL_API_KEY`` when it has none), sent
    as HTTP Basic user name; ``host`` overrides the base URL. Each method returns the API's
    decoded JSON, or raises a :class:`~airflow_provider_planet_orders.exceptions.PlanetOrdersError`.

    :param planet_conn_id: The ``planet`` connection to use.
    """

    def __init__(self, planet_conn_id: str = _PlanetHookBase.default_conn_name, **kwargs: Any) -> None:
        super().__init__(planet_conn_id, **kwargs)
        self._session: requests.Session | None = None
        # Tests replace this to run retries without waiting.
        self.sleep = time.sleep

    # -- connection and transport ---------------------------------------------------------------

    def get_conn(self) -> requests.Session:
        """The hook's ``requests.Session``: keep-alive across calls, authenticated with the key."""
        if self._session is None:
            self.builder  # noqa: B018 - loads the connection, key and settings
            assert self._api_key is not None
            session = requests.Session()
            session.auth = HTTPBasicAuth(self._api_key, "")
            session.headers["User-Agent"] = USER_AGENT
            self._session = session
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> PlanetOrdersHook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, request: ApiRequest, *, stream: bool = False) -> requests.Response:
        """One attempt: pace, send, translate transport errors. No retries here."""
        session = self.get_conn()
        # Result links may point at another host (a CDN, a bucket): the key goes to Planet only.
        auth = None if self.builder.is_api_host(request.url) else _no_auth
        wait = self._pace_seconds(request.endpoint)
        if wait > 0:
            self.sleep(wait)
        try:
            return session.request(
                request.method,
                request.url,
                params=list(request.params) or None,
                json=request.json,
                headers=dict(request.headers),
                timeout=self.settings.timeout,
                stream=stream,
                auth=auth,
            )
        except requests.RequestException as err:
            if isinstance(err, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
                raise PlanetConfigurationError(f"{request.describe()}: invalid URL") from None
            raise _connection_error(request, err, request_sent=_requests_error_sent(err)) from err

    def _attempt(self, request: ApiRequest) -> Any:
        response = self._send(request)
        try:
            content = response.content
        except requests.RequestException as err:
            raise _connection_error(request, err, request_sent=True) from err
        return interpret(request, response.status_code, response.headers, content)

    def open_download(self, location: str, offset: int = 0) -> requests.Response:
        """
        Start streaming a result file from byte ``offset``: one attempt, paced at the download limit.

        Not retried here: resuming a broken stream is the caller's job (it knows how many bytes it
        kept). Error statuses raise the mapped error, carrying ``Retry-After``. Close the response.
        """
        request = self.builder.download(location, offset)
        response = self._send(request, stream=True)
        if not 200 <= response.status_code < 300:
            try:
                content = response.raw.read(4096, decode_content=True) or b""
            except Exception:  # the body of an error is only a nicety
                content = b""
            finally:
                response.close()
            raise error_for(request, response.status_code, response.headers, content)
        return response

    def iter_download(self, response: requests.Response, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Yield a download's bytes; a connection broken mid-file raises ``PlanetConnectionError``."""
        request = self.builder.download(response.url)
        try:
            yield from response.iter_content(chunk_size)
        except requests.RequestException as err:
            raise _connection_error(request, err, request_sent=True) from err
        finally:
            response.close()

    def call(self, request: ApiRequest) -> Any:
        """Send ``request`` with the retry policy; return the decoded JSON."""
        retrying = tenacity.Retrying(
            sleep=self.sleep,
            before_sleep=lambda state: self._log_retry(request, state),
            **self.settings.retry_policy().tenacity_kwargs(request),
        )
        try:
            return retrying(self._attempt, request)
        except PlanetOrdersError as err:
            final = final_error(request, err)
            if final is err:
                raise
            raise final from err

    # -- endpoints ------------------------------------------------------------------------------

    def create_order(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """
        Submit an order request; return the new order (state ``queued``).

        Not retried once the request may have reached Planet: such failures raise
        :class:`~airflow_provider_planet_orders.exceptions.PlanetOrderMaybeCreatedError`.
        """
        api_request = self.builder.create_order(request)
        return expect_object(api_request, self.call(api_request))

    def get_order(self, order_id: str) -> dict[str, Any]:
        api_request = self.builder.get_order(order_id)
        return expect_object(api_request, self.call(api_request))

    def cancel_order(self, order_id: str) -> dict[str, Any]:
        """Cancel a queued order; a running or finished one raises ``PlanetConflictError`` (409)."""
        api_request = self.builder.cancel_order(order_id)
        return expect_object(api_request, self.call(api_request))

    def cancel_orders(self, order_ids: Sequence[str] | None = None) -> dict[str, Any]:
        """Bulk cancel 1 to 10,000 orders, or with ``None`` every queued order of the key."""
        api_request = self.builder.cancel_orders(order_ids)
        return expect_object(api_request, self.call(api_request))

    def get_order_stats(self) -> dict[str, Any]:
        """Queued and running order counts for the key's user and organization."""
        api_request = self.builder.get_order_stats()
        return expect_object(api_request, self.call(api_request))

    def list_orders(
        self,
        *,
        state: str | Sequence[str] | None = None,
        source_type: str | Sequence[str] | None = None,
        name: str | None = None,
        name_contains: str | None = None,
        created_on: TimeFilter | None = None,
        last_modified: TimeFilter | None = None,
        hosting: bool | None = None,
        sort_by: str | Sequence[str] | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """
        Yield orders lazily, page by page, following ``_links.next``.

        Arguments are checked when called, before the first request. ``state`` and
        ``source_type`` take one value or several (ORed). ``created_on`` and ``last_modified``
        take a datetime, a ``(start, end)`` pair with ``None`` for an open end, or Planet's
        string form. ``limit`` stops after that many orders.
        """
        listing = Listing(
            self.builder,
            limit,
            state=state,
            source_type=source_type,
            name=name,
            name_contains=name_contains,
            created_on=created_on,
            last_modified=last_modified,
            hosting=hosting,
            sort_by=sort_by,
            page_size=page_size,
        )
        return self._pages(listing)

    def _pages(self, listing: Listing) -> Iterator[dict[str, Any]]:
        while listing.request is not None:
            yield from listing.accept(self.call(listing.request))

    def test_connection(self) -> tuple[bool, str]:
        """Make one cheap authenticated call (order stats) and say whether the key works."""
        try:
            stats = self.get_order_stats()
        except PlanetOrdersError as err:
            return False, str(err)
        user = stats.get("user", {}) if isinstance(stats, dict) else {}
        return True, (
            f"Connected to the Planet Orders API at {self.settings.base_url}: the key works "
            f"({user.get('queued_orders', '?')} queued and {user.get('running_orders', '?')} running orders)."
        )


class _SharedAsyncClients:
    """
    One ``httpx.AsyncClient`` per event loop and (key, base URL, timeouts), shared by async hooks.

    A triggerer runs hundreds of triggers on one loop; a client each would mean as many connection
    pools and TLS contexts. Clients are reference-counted and closed when their last hook closes.
    """

    def __init__(self) -> None:
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[Any, ...], list[Any]]
        ] = weakref.WeakKeyDictionary()

    def acquire(self, key: tuple[Any, ...], factory: Any) -> httpx.AsyncClient:
        per_loop = self._clients.setdefault(asyncio.get_running_loop(), {})
        entry = per_loop.get(key)
        if entry is None or entry[0].is_closed:
            entry = per_loop[key] = [factory(), 0]
        entry[1] += 1
        return entry[0]

    async def release(self, key: tuple[Any, ...]) -> None:
        per_loop = self._clients.get(asyncio.get_running_loop(), {})
        entry = per_loop.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del per_loop[key]
            await entry[0].aclose()


_ASYNC_CLIENTS = _SharedAsyncClients()


def _httpx_error_sent(error: Exception) -> bool:
    import httpx

    return not isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


class PlanetOrdersAsyncHook(_PlanetHookBase):
    """
    The asynchronous twin of :class:`PlanetOrdersHook`, for triggers (``httpx``).

    Same connection, errors, retry policy and rate limits (the limiter is shared with the sync hook
    and never blocks the loop); the connection is looked up without blocking the event loop.
    Close it with :meth:`aclose` or use it as an async context manager.
    """

    def __init__(self, planet_conn_id: str = _PlanetHookBase.default_conn_name, **kwargs: Any) -> None:
        super().__init__(planet_conn_id, **kwargs)
        self._client: httpx.AsyncClient | None = None
        self._client_key: tuple[Any, ...] | None = None
        # Tests replace this to run retries without waiting.
        self.sleep = asyncio.sleep

    async def _aload_connection(self) -> None:
        if self._settings is not None:
            return
        try:
            conn = await get_async_connection(self.planet_conn_id)
        except AirflowNotFoundException:
            if not self._env_key_fallback():
                raise
            return
        self._configure(conn.password, conn.host, await get_async_extra(conn), conn.port)

    async def get_async_conn(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` this hook sends with (shared on the loop, see above)."""
        if self._client is None:
            await self._aload_connection()
            settings, api_key = self.settings, self._api_key
            assert api_key is not None
            key = (key_fingerprint(api_key), settings.base_url, settings.timeout)

            def factory() -> httpx.AsyncClient:
                import httpx

                return httpx.AsyncClient(
                    auth=httpx.BasicAuth(api_key, ""),
                    headers={"User-Agent": USER_AGENT},
                    timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
                    limits=httpx.Limits(max_connections=50, max_keepalive_connections=20),
                )

            self._client = _ASYNC_CLIENTS.acquire(key, factory)
            self._client_key = key
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._client_key is not None:
            self._client = None
            await _ASYNC_CLIENTS.release(self._client_key)

    async def __aenter__(self) -> PlanetOrdersAsyncHook:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _attempt(self, request: ApiRequest) -> Any:
        import httpx

        client = await self.get_async_conn()
        wait = self._pace_seconds(request.endpoint)
        if wait > 0:
            await self.sleep(wait)
        try:
            response = await client.request(
                request.method,
                request.url,
                params=list(request.params) or None,
                json=request.json,
                headers=dict(request.headers),
            )
        except httpx.InvalidURL:
            raise PlanetConfigurationError(f"{request.describe()}: invalid URL") from None
        except httpx.HTTPError as err:
            raise _connection_error(request, err, request_sent=_httpx_error_sent(err)) from err
        return interpret(request, response.status_code, response.headers, response.content)

    async def call(self, request: ApiRequest) -> Any:
        """Send ``request`` with the retry policy; return the decoded JSON."""
        await self._aload_connection()
        retrying = tenacity.AsyncRetrying(
            sleep=self.sleep,
            before_sleep=lambda state: self._log_retry(request, state),
            **self.settings.retry_policy().tenacity_kwargs(request),
        )
        try:
            return await retrying(self._attempt, request)
        except PlanetOrdersError as err:
            final = final_error(request, err)
            if final is err:
                raise
            raise final from err

    async def _builder_async(self) -> RequestBuilder:
        await self._aload_connection()
        return self.builder

    async def get_order(self, order_id: str) -> dict[str, Any]:
        api_request = (await self._builder_async()).get_order(order_id)
        return expect_object(api_request, await self.call(api_request))

    async def cancel_order(self, order_id: str) -> dict[str, Any]:
        api_request = (await self._builder_async()).cancel_order(order_id)
        return expect_object(api_request, await self.call(api_request))

    async def get_order_stats(self) -> dict[str, Any]:
        api_request = (await self._builder_async()).get_order_stats()
        return expect_object(api_request, await self.call(api_request))

    async def list_orders(
        self,
        *,
        state: str | Sequence[str] | None = None,
        source_type: str | Sequence[str] | None = None,
        name: str | None = None,
        name_contains: str | None = None,
        created_on: TimeFilter | None = None,
        last_modified: TimeFilter | None = None,
        hosting: bool | None = None,
        sort_by: str | Sequence[str] | None = None,
        page_size: int | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield orders lazily, page by page; the filters are those of the sync hook."""
        builder = await self._builder_async()
        listing = Listing(
            builder,
            limit,
            state=state,
            source_type=source_type,
            name=name,
            name_contains=name_contains,
            created_on=created_on,
            last_modified=last_modified,
            hosting=hosting,
            sort_by=sort_by,
            page_size=page_size,
        )
        while listing.request is not None:
            for order in listing.accept(await self.call(listing.request)):
                yield order
