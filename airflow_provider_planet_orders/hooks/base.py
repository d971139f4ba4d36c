"""
What every Planet hook shares: the ``planet`` connection, and one transport per execution model.

:class:`PlanetBaseHook` reads the connection (credentials, base URL, extras) and assembles the retry
policy of :mod:`airflow_provider_planet_orders.core.policy` for tenacity. :class:`PlanetSyncHook`
sends with ``requests`` (operators on workers); :class:`PlanetAsyncHook` with ``httpx`` (triggers
on the triggerer's event loop). Building requests, reading responses, deciding on retries and the
final error all happen in the core; a transport only paces, sends and translates its library's
network errors. Both authenticate through :mod:`airflow_provider_planet_orders.hooks.auth` (Basic,
``api-key`` or OAuth2, per the connection's ``auth`` extra). The Orders and Data hooks add
endpoints on top of these two.
"""

from __future__ import annotations

import asyncio
import os
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import requests
import tenacity

from airflow_provider_planet_orders._compat import (
    AirflowNotFoundException,
    BaseHook,
    get_async_connection,
    get_async_extra,
    mask_secret,
)
from airflow_provider_planet_orders.core.auth import API_KEY_ENV, Credentials, credentials_from_connection
from airflow_provider_planet_orders.core.build import USER_AGENT, ApiRequest, RequestBuilder
from airflow_provider_planet_orders.core.defaults import DEFAULT_CONN_ID
from airflow_provider_planet_orders.core.policy import (
    RATE_LIMITER,
    ClientSettings,
    RateLimiter,
    raising_final_error,
    rate_bucket,
)
from airflow_provider_planet_orders.core.responses import ResultStream, error_for, interpret
from airflow_provider_planet_orders.exceptions import PlanetConfigurationError, PlanetConnectionError
from airflow_provider_planet_orders.get_provider_info import UI_FIELD_BEHAVIOUR
from airflow_provider_planet_orders.hooks.auth import Authorizer, RequestsAuth

if TYPE_CHECKING:
    import httpx
    from typing_extensions import Self

_Retrying = TypeVar("_Retrying", tenacity.Retrying, tenacity.AsyncRetrying)


class PlanetBaseHook(BaseHook):
    """The ``planet`` connection: credentials, base URL and client settings, read once per hook."""

    conn_name_attr = "planet_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "planet"
    hook_name = "Planet Orders"

    def __init__(self, planet_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.planet_conn_id = planet_conn_id
        self.limiter: RateLimiter = RATE_LIMITER
        self._authorizer: Authorizer | None = None
        self._settings: ClientSettings | None = None
        self._builder: RequestBuilder | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Connection form for Airflow before 3.2, which does not read it from the provider info."""
        return {key: (list(v) if isinstance(v, list) else dict(v)) for key, v in UI_FIELD_BEHAVIOUR.items()}

    def _configure(
        self,
        login: str | None,
        password: str | None,
        host: str | None,
        extras: Mapping[str, Any],
        port: int | None = None,
    ) -> None:
        settings = ClientSettings.from_connection(host, extras, port)
        credentials = credentials_from_connection(
            self.planet_conn_id,
            settings.auth,
            login=login,
            password=password,
            extras=extras,
            env=os.environ,
            token_url=settings.token_url,
            scope=settings.scope,
        )
        mask_secret(credentials.secret)
        self._settings = settings
        self._builder = RequestBuilder(settings.base_url)
        self._authorizer = Authorizer(credentials, settings.timeout)

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
        self._configure(conn.login, conn.password, conn.host, conn.extra_dejson, conn.port)

    async def _aload_connection(self) -> None:
        """The connection lookup of :meth:`_load_connection`, without blocking the event loop."""
        if self._settings is not None:
            return
        try:
            conn = await get_async_connection(self.planet_conn_id)
        except AirflowNotFoundException:
            if not self._env_key_fallback():
                raise
            return
        self._configure(conn.login, conn.password, conn.host, await get_async_extra(conn), conn.port)

    def _env_key_fallback(self) -> bool:
        """Without a ``planet_default`` connection, ``PL_API_KEY`` alone is enough (Planet's defaults)."""
        if self.planet_conn_id != DEFAULT_CONN_ID or not os.environ.get(API_KEY_ENV, "").strip():
            return False
        self.log.info("No %r connection; using %s and Planet's defaults", self.planet_conn_id, API_KEY_ENV)
        self._configure(None, None, None, {})
        return True

    @property
    def authorizer(self) -> Authorizer:
        """What API requests authenticate with (see :mod:`~airflow_provider_planet_orders.hooks.auth`)."""
        self.builder  # noqa: B018 - loads the connection, credentials and settings
        assert self._authorizer is not None
        return self._authorizer

    @property
    def _credentials(self) -> Credentials:
        return self.authorizer.credentials

    def _pace_seconds(self, request: ApiRequest) -> float:
        """Seconds to wait for the request's slot under the key's rate limit (0 when not limited)."""
        rate = self.settings.rate_for(request.endpoint)
        if rate is None:
            return 0.0
        return self.limiter.reserve(
            rate_bucket(self._credentials.fingerprint, self.settings, request.endpoint), rate
        )

    def _retrying(self, retrying: type[_Retrying], request: ApiRequest) -> _Retrying:
        """The connection's retry policy for ``request``, as a tenacity (async) retrying object."""
        return retrying(
            sleep=self.sleep,
            before_sleep=lambda state: self._log_retry(request, state),
            **self.settings.retry_policy().tenacity_kwargs(request),
        )

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

    #: ``time.sleep`` or ``asyncio.sleep``; tests replace it to run retries without waiting.
    sleep: Callable[[float], Any]

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


def _requests_error_sent(error: requests.RequestException) -> bool:
    """Whether a ``requests`` failure may have happened after the request reached the server."""
    if isinstance(error, requests.ConnectTimeout):
        return False
    if isinstance(error, requests.ConnectionError):
        # urllib3 wraps "could not connect" (refused, DNS) in NewConnectionError.
        text = repr(error.args[0]) if error.args else ""
        return not any(s in text for s in ("NewConnectionError", "NameResolutionError", "ConnectTimeout"))
    return True


class PlanetSyncHook(PlanetBaseHook):
    """A Planet hook that sends with a ``requests.Session``: keep-alive, the connection's auth."""

    def __init__(self, planet_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(planet_conn_id, **kwargs)
        self._session: requests.Session | None = None
        self.sleep = time.sleep

    def get_conn(self) -> requests.Session:
        """The hook's ``requests.Session``, authenticated as the connection says (API host only)."""
        if self._session is None:
            session = requests.Session()
            session.auth = RequestsAuth(self.authorizer, self.builder.is_api_host)
            session.headers["User-Agent"] = USER_AGENT
            self._session = session
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(
        self, request: ApiRequest, *, stream: bool = False, timeout: tuple[float, float] | None = None
    ) -> requests.Response:
        """One attempt: pace, send, translate transport errors. No retries here."""
        # Result links may point at another host (a CDN, a bucket): the session's auth sends
        # credentials to the API's host only.
        session = self.get_conn()
        wait = self._pace_seconds(request)
        if wait > 0:
            self.sleep(wait)
        try:
            return session.request(
                request.method,
                request.url,
                params=list(request.params) or None,
                json=request.json,
                headers=dict(request.headers),
                timeout=timeout or self.settings.timeout,
                stream=stream,
            )
        except requests.RequestException as err:
            if isinstance(err, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
                raise PlanetConfigurationError(f"{request.describe()}: invalid URL") from None
            raise _connection_error(request, err, request_sent=_requests_error_sent(err)) from err

    def _attempt(self, request: ApiRequest, timeout: tuple[float, float] | None = None) -> Any:
        """One attempt, its answer interpreted: the decoded JSON, or the mapped error."""
        response = self._send(request, timeout=timeout)
        try:
            content = response.content
        except requests.RequestException as err:
            raise _connection_error(request, err, request_sent=True) from err
        return interpret(request, response.status_code, response.headers, content)

    def call(self, request: ApiRequest) -> Any:
        """Send ``request`` with the connection's retry policy; return the decoded JSON."""
        with raising_final_error(request):
            return self._retrying(tenacity.Retrying, request)(self._attempt, request)

    def open_result(self, location: str, offset: int = 0, chunk_size: int = 1 << 20) -> ResultStream:
        """
        Start streaming a result file from byte ``offset``: one attempt, paced at the download limit.

        Not retried here: resuming a broken stream is the caller's job (it knows how many bytes it
        kept). An error status raises the mapped error, carrying ``Retry-After``. A connection
        broken mid-file raises ``PlanetConnectionError`` from the stream's chunks. Close the stream
        (it is a context manager).
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
        return ResultStream(
            status=response.status_code,
            headers=dict(response.headers),
            start=offset if response.status_code == 206 else 0,
            chunks=self._chunks(request, response, chunk_size),
            close=response.close,
        )

    @staticmethod
    def _chunks(request: ApiRequest, response: requests.Response, chunk_size: int) -> Iterator[bytes]:
        try:
            yield from response.iter_content(chunk_size)
        except requests.RequestException as err:
            raise _connection_error(request, err, request_sent=True) from err
        finally:
            response.close()


class _SharedAsyncClients:
    """
    One ``httpx.AsyncClient`` per event loop and (credentials, base URL, timeouts), shared by async hooks.

    A triggerer runs hundreds of triggers on one loop; a client each would mean as many connection
    pools and TLS contexts. Clients are reference-counted and closed when their last hook closes.
    """

    def __init__(self) -> None:
        self._clients: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[tuple[Any, ...], list[Any]]
        ] = weakref.WeakKeyDictionary()

    def acquire(self, key: tuple[Any, ...], factory: Callable[[], httpx.AsyncClient]) -> httpx.AsyncClient:
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


class PlanetAsyncHook(PlanetBaseHook):
    """
    A Planet hook that sends with ``httpx`` on the running event loop, for triggers.

    Same connection, errors, retry policy and rate limits as :class:`PlanetSyncHook` (the limiter
    is shared and never blocks the loop); the connection is looked up without blocking the loop.
    Close it with :meth:`aclose` or use it as an async context manager.
    """

    def __init__(self, planet_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(planet_conn_id, **kwargs)
        self._client: httpx.AsyncClient | None = None
        self._client_key: tuple[Any, ...] | None = None
        self.sleep = asyncio.sleep

    async def get_async_conn(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` this hook sends with (shared on the loop, see above)."""
        if self._client is None:
            await self._aload_connection()
            settings, authorizer, is_api_host = self.settings, self.authorizer, self.builder.is_api_host
            key = (authorizer.credentials.pool_key, settings.base_url, settings.timeout)

            def factory() -> httpx.AsyncClient:
                import httpx

                from airflow_provider_planet_orders.hooks.auth import HttpxAuth

                return httpx.AsyncClient(
                    auth=HttpxAuth(authorizer, is_api_host),
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

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _builder_async(self) -> RequestBuilder:
        await self._aload_connection()
        return self.builder

    async def _attempt(self, request: ApiRequest) -> Any:
        """One attempt, its answer interpreted: the decoded JSON, or the mapped error."""
        import httpx

        client = await self.get_async_conn()
        wait = self._pace_seconds(request)
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
        """Send ``request`` with the connection's retry policy; return the decoded JSON."""
        await self._aload_connection()
        with raising_final_error(request):
            return await self._retrying(tenacity.AsyncRetrying, request)(self._attempt, request)


__all__ = ["API_KEY_ENV", "PlanetAsyncHook", "PlanetBaseHook", "PlanetSyncHook"]
