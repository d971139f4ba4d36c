"""
Client settings, retry policy and rate limiting: decisions only, no I/O.

The hooks ask :class:`RetryPolicy` whether and how long to wait after a failed attempt, and ask
:class:`RateLimiter` how long to wait before an attempt; they do the sleeping themselves, with
``time.sleep`` or ``asyncio.sleep``.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from airflow_provider_planet_orders.core.api import DEFAULT_RATE_LIMITS, Endpoint
from airflow_provider_planet_orders.core.auth import AuthMethod, key_fingerprint
from airflow_provider_planet_orders.core.build import ApiRequest, normalize_base_url
from airflow_provider_planet_orders.core.defaults import EXTRA_DEFAULTS
from airflow_provider_planet_orders.exceptions import (
    PlanetApiError,
    PlanetConfigurationError,
    PlanetConnectionError,
    PlanetOrderMaybeCreatedError,
    PlanetOrdersError,
)

#: Statuses worth another attempt: rate limited, or a server or gateway in trouble.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientSettings:
    """
    Everything a hook needs from the ``planet`` connection except the secrets.

    Built with :meth:`from_connection`, which checks every value and names the offending extra.
    """

    base_url: str = normalize_base_url(None)
    connect_timeout: float = EXTRA_DEFAULTS["connect_timeout"]
    read_timeout: float = EXTRA_DEFAULTS["read_timeout"]
    max_retries: int = EXTRA_DEFAULTS["max_retries"]
    backoff_initial: float = EXTRA_DEFAULTS["backoff_initial"]
    backoff_max: float = EXTRA_DEFAULTS["backoff_max"]
    max_retry_after: float = EXTRA_DEFAULTS["max_retry_after"]
    rate_limit: bool = EXTRA_DEFAULTS["rate_limit"]
    rate_limits: Mapping[Endpoint, float] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    auth: AuthMethod = AuthMethod.BASIC
    token_url: str | None = None
    scope: str | None = None

    @classmethod
    def from_connection(
        cls, host: str | None, extras: Mapping[str, Any], port: int | None = None
    ) -> ClientSettings:
        """
        Read settings from a connection's host, port and extras; unknown extras are left alone.

        The port applies when the host does not carry one (``planet://:KEY@proxy:8443``).
        """
        values: dict[str, Any] = {"base_url": _base_url(host, port)}
        for name in ("connect_timeout", "read_timeout", "backoff_initial", "backoff_max", "max_retry_after"):
            if extras.get(name) not in (None, ""):
                values[name] = _number(extras[name], name)
        if extras.get("max_retries") not in (None, ""):
            values["max_retries"] = _count(extras["max_retries"], "max_retries")
        if extras.get("rate_limit") not in (None, ""):
            values["rate_limit"] = _flag(extras["rate_limit"], "rate_limit")
        if extras.get("rate_limits") not in (None, ""):
            values["rate_limits"] = _rate_limits(extras["rate_limits"])
        values.update(_auth(extras))
        return cls(**values)

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_retries=self.max_retries,
            backoff_initial=self.backoff_initial,
            backoff_max=self.backoff_max,
            max_retry_after=self.max_retry_after,
        )

    def rate_for(self, endpoint: Endpoint) -> float | None:
        """Requests per second allowed for ``endpoint``, or ``None`` when not limited."""
        if not self.rate_limit:
            return None
        rate = self.rate_limits.get(endpoint)
        return rate if rate and rate > 0 else None


def _base_url(host: str | None, port: int | None = None) -> str:
    try:
        url = normalize_base_url(host)
    except PlanetOrdersError as err:
        raise PlanetConfigurationError(f"planet connection: {err}") from None
    if port and host:
        parts = urlsplit(url)
        if parts.port is None:
            url = urlunsplit(parts._replace(netloc=f"{parts.netloc}:{int(port)}"))
    return url


def _auth(extras: Mapping[str, Any]) -> dict[str, Any]:
    """The extras ``auth``, ``token_url`` and ``scope``; ``token_url`` is required for OAuth2."""
    raw = extras.get("auth")
    if raw in (None, ""):
        method = AuthMethod.BASIC
    else:
        try:
            method = AuthMethod(str(raw).strip().lower())
        except ValueError:
            known = ", ".join(repr(m.value) for m in AuthMethod)
            raise _bad("auth", f"must be one of {known}", raw) from None
    if method is not AuthMethod.OAUTH2:
        return {"auth": method}
    token_url = extras.get("token_url")
    if token_url in (None, ""):
        raise PlanetConfigurationError(
            "planet connection extra 'token_url' is required with auth 'oauth2': the OAuth2 token "
            "endpoint (client credentials grant), e.g. https://login.example.com/oauth2/token"
        )
    parts = urlsplit(str(token_url).strip()) if isinstance(token_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise _bad("token_url", "must be an http(s) URL", token_url)
    scope = extras.get("scope")
    if scope not in (None, "") and not isinstance(scope, str):
        raise _bad("scope", "must be a space-separated string of scopes", scope)
    return {"auth": method, "token_url": urlunsplit(parts), "scope": scope or None}


def _bad(name: str, problem: str, value: Any) -> PlanetConfigurationError:
    return PlanetConfigurationError(f"planet connection extra {name!r} {problem}, got {value!r}")


def _number(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _bad(name, "must be a number of seconds", value) from None
    if isinstance(value, bool) or number < 0 or number != number:
        raise _bad(name, "must be a number of seconds >= 0", value)
    return number


def _count(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _bad(name, "must be a whole number", value) from None
    if isinstance(value, bool) or number < 0 or number != float(value):
        raise _bad(name, "must be a whole number >= 0", value)
    return number


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise _bad(name, "must be true or false", value)


def _rate_limits(value: Any) -> dict[Endpoint, float]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise _bad("rate_limits", 'must be a JSON object such as {"get": 2}', value) from None
    if not isinstance(value, Mapping):
        raise _bad("rate_limits", "must be an object mapping endpoints to requests per second", value)
    limits = dict(DEFAULT_RATE_LIMITS)
    known = ", ".join(e.value for e in Endpoint)
    for key, rate in value.items():
        try:
            endpoint = Endpoint(key)
        except ValueError:
            raise _bad("rate_limits", f"has unknown endpoint {key!r} (known: {known})", value) from None
        limits[endpoint] = _number(rate, f"rate_limits.{key}")
    return limits


# --------------------------------------------------------------------------------------------
# Retries
# --------------------------------------------------------------------------------------------


def is_transient(error: BaseException) -> bool:
    """Whether an error that outlasted the hook's retries may still go away by waiting longer."""
    if isinstance(error, PlanetConnectionError):
        return True
    return isinstance(error, PlanetApiError) and error.status in RETRYABLE_STATUSES


def is_idempotent(request: ApiRequest) -> bool:
    """Whether sending ``request`` twice is harmless. Creating an order is the one that is not."""
    return request.endpoint is not Endpoint.CREATE


def should_retry(request: ApiRequest, error: BaseException) -> bool:
    """
    Whether a failed attempt is worth another one.

    An idempotent request is retried on network errors and on 429/500/502/503/504. A create is
    retried only when Planet provably did not act on it: the connection was never made, or it
    answered 429.
    """
    if isinstance(error, PlanetConnectionError):
        return is_idempotent(request) or not error.request_sent
    if isinstance(error, PlanetApiError) and error.status in RETRYABLE_STATUSES:
        return is_idempotent(request) or error.status == 429
    return False


def final_error(request: ApiRequest, error: BaseException) -> BaseException:
    """
    The error to raise once retrying is over.

    A create that failed after it may have reached Planet becomes
    :class:`PlanetOrderMaybeCreatedError`, so callers look the order up instead of ordering twice.
    """
    if request.endpoint is not Endpoint.CREATE:
        return error
    ambiguous = (isinstance(error, PlanetConnectionError) and error.request_sent) or (
        isinstance(error, PlanetApiError) and error.status is not None and error.status >= 500
    )
    if not ambiguous:
        return error
    maybe = PlanetOrderMaybeCreatedError(
        f"{request.describe()} failed after the request may have reached Planet ({error}); "
        "the order may exist. Look it up by name before creating it again.",
        operation=request.operation,
        method=request.method,
        path=request.path,
        status=getattr(error, "status", None),
    )
    maybe.__cause__ = error
    return maybe


@contextmanager
def raising_final_error(request: ApiRequest) -> Iterator[None]:
    """
    Wrap a retried call: once retrying is over, raise :func:`final_error` of what it raised.

    Both hooks wrap their retry loop in it, so that the sync and async calls end the same way.
    """
    try:
        yield
    except PlanetOrdersError as err:
        final = final_error(request, err)
        if final is err:
            raise
        raise final from err


@dataclass(frozen=True)
class RetryPolicy:
    """
    Exponential backoff with jitter and a cap, never shorter than what ``Retry-After`` asks.

    ``max_retries`` counts retries, so a call makes at most ``max_retries + 1`` attempts.
    """

    max_retries: int = EXTRA_DEFAULTS["max_retries"]
    backoff_initial: float = EXTRA_DEFAULTS["backoff_initial"]
    backoff_max: float = EXTRA_DEFAULTS["backoff_max"]
    max_retry_after: float = EXTRA_DEFAULTS["max_retry_after"]

    def backoff(self, attempt: int, retry_after: float | None = None, rand: float | None = None) -> float:
        """
        Seconds to wait after failed attempt number ``attempt`` (1-based).

        "Equal jitter": half the exponential step is fixed and half random, so concurrent clients
        spread out without any of them retrying immediately. A ``Retry-After`` is honoured up to
        ``max_retry_after``, so that a broken header cannot park a task for a day.
        """
        step = min(self.backoff_max, self.backoff_initial * (2 ** max(0, attempt - 1)))
        jitter = random.random() if rand is None else rand
        wait = step / 2 + jitter * step / 2
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_retry_after))
        return wait

    def tenacity_kwargs(self, request: ApiRequest) -> dict[str, Any]:
        """Arguments for ``tenacity.Retrying`` / ``AsyncRetrying`` that apply this policy to a request."""
        import tenacity

        def wait(state: tenacity.RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return self.backoff(state.attempt_number, getattr(error, "retry_after", None))

        return {
            "stop": tenacity.stop_after_attempt(self.max_retries + 1),
            "wait": wait,
            "retry": tenacity.retry_if_exception(lambda e: should_retry(request, e)),
            "reraise": True,
        }


# --------------------------------------------------------------------------------------------
# Rate limiting
# --------------------------------------------------------------------------------------------


class RateLimiter:
    """
    Thread-safe pacing of requests per key, one schedule for every hook in the process.

    Each call to :meth:`reserve` books the next free slot of its bucket and returns how long the
    caller must wait for it; callers then sleep outside the lock (``time.sleep`` in a worker,
    ``asyncio.sleep`` in the triggerer), so the lock is held for microseconds and is safe to take
    on an event loop. Slots are ``1 / rate`` apart (Generic Cell Rate Algorithm), with ``burst``
    requests allowed back to back after a quiet spell.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._next: dict[Hashable, float] = {}

    def reserve(self, bucket: Hashable, rate: float, burst: int = 1) -> float:
        """Book a slot in ``bucket`` at ``rate`` per second; return the seconds to wait for it."""
        interval = 1.0 / rate
        tolerance = interval * (max(1, burst) - 1)
        with self._lock:
            now = self._clock()
            theoretical = max(self._next.get(bucket, now), now)
            start = max(now, theoretical - tolerance)
            self._next[bucket] = theoretical + interval
        return start - now


#: The process-wide limiter every hook shares, so that many tasks in one worker stay under
#: Planet's per-key limits together.
RATE_LIMITER = RateLimiter()


def rate_bucket(caller: str, settings: ClientSettings, endpoint: Endpoint) -> tuple[str, str, str]:
    """The limiter's bucket: per caller (an API key or an OAuth2 client), base URL and endpoint."""
    return (key_fingerprint(caller), settings.base_url, endpoint.value)


__all__ = [
    "RATE_LIMITER",
    "RETRYABLE_STATUSES",
    "ClientSettings",
    "RateLimiter",
    "RetryPolicy",
    "final_error",
    "is_idempotent",
    "is_transient",
    "key_fingerprint",
    "raising_final_error",
    "rate_bucket",
    "should_retry",
]
