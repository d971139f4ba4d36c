"""
How requests authenticate, without I/O: the connection's credentials and the OAuth2 token cache.

Planet takes an API key as HTTP Basic (the key as user name, an empty password: the provider's
default) or as ``Authorization: api-key <KEY>`` (what Planet's SDK 3.x sends), and OAuth2 access
tokens as ``Authorization: Bearer <TOKEN>``. :class:`Credentials` is what the connection says;
:class:`TokenCache` keeps access tokens per process, so that every hook of a worker or a
triggerer shares one token per client and refreshes it before it expires. Fetching a token is
the transports' job (:mod:`airflow_provider_planet_orders.hooks.auth`).

Secrets never appear in a ``repr``, a log line or an exception message from here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from airflow_provider_planet_orders.exceptions import (
    PlanetAuthError,
    PlanetConfigurationError,
    PlanetConnectionError,
)

API_KEY_ENV = "PL_API_KEY"


class AuthMethod(str, Enum):
    """The connection extra ``auth``: how API requests carry the credentials."""

    BASIC = "basic"
    API_KEY = "api-key"
    OAUTH2 = "oauth2"


def key_fingerprint(secret: str) -> str:
    """A stable, non-reversible name for a secret, for use as a dictionary key or in a log."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Credentials:
    """
    What API requests authenticate with: an API key, or an OAuth2 client.

    ``secret`` is the API key (Basic, api-key) or the OAuth2 client secret; it is left out of the
    ``repr``.
    """

    method: AuthMethod
    secret: str = field(repr=False)
    client_id: str | None = None
    token_url: str | None = None
    scope: str | None = None

    @property
    def fingerprint(self) -> str:
        """Who is calling, without the secret: rate limits and connection pools are per caller."""
        if self.method is AuthMethod.OAUTH2:
            return key_fingerprint(f"oauth2\n{self.token_url}\n{self.client_id}")
        return key_fingerprint(self.secret)

    @property
    def pool_key(self) -> str:
        """Everything that tells two sets of credentials apart, hashed (for shared clients)."""
        return key_fingerprint(
            repr((self.method.value, self.secret, self.client_id, self.token_url, self.scope))
        )

    @property
    def cache_key(self) -> tuple[str, str, str]:
        """The token cache's key: token URL and client id (and the secret's fingerprint, so that a
        connection with a wrong secret never borrows the token another one fetched)."""
        return (self.token_url or "", self.client_id or "", key_fingerprint(self.secret))

    def static_header(self) -> str | None:
        """The ``Authorization`` value of an API key; ``None`` for OAuth2 (it needs a token)."""
        if self.method is AuthMethod.BASIC:
            return "Basic " + base64.b64encode(f"{self.secret}:".encode()).decode("ascii")
        if self.method is AuthMethod.API_KEY:
            return f"api-key {self.secret}"
        return None


def credentials_from_connection(
    conn_id: str,
    method: AuthMethod,
    *,
    login: str | None,
    password: str | None,
    extras: Mapping[str, Any],
    env: Mapping[str, str],
    token_url: str | None = None,
    scope: str | None = None,
) -> Credentials:
    """
    The credentials a ``planet`` connection names, checked; errors name the field to fix.

    An API key is the password, else ``PL_API_KEY``. An OAuth2 client is the login (client id)
    and the password, else the extra ``client_secret``.
    """
    if method is AuthMethod.OAUTH2:
        client_id = (login or "").strip()
        secret = (password or "").strip() or str(extras.get("client_secret") or "").strip()
        if not client_id:
            raise PlanetConfigurationError(
                f"planet connection {conn_id!r} uses auth 'oauth2' but has no client id: put it in "
                "the connection's login"
            )
        if not secret:
            raise PlanetConfigurationError(
                f"planet connection {conn_id!r} uses auth 'oauth2' but has no client secret: put it "
                "in the connection's password or in the extra 'client_secret'"
            )
        return Credentials(method, secret, client_id=client_id, token_url=token_url, scope=scope)
    api_key = (password or "").strip() or env.get(API_KEY_ENV, "").strip()
    if not api_key:
        raise PlanetConfigurationError(
            f"planet connection {conn_id!r} has no API key: put it in the connection's password "
            f"(shown as 'API key') or set {API_KEY_ENV}"
        )
    return Credentials(method, api_key)


# --------------------------------------------------------------------------------------------
# OAuth2 access tokens
# --------------------------------------------------------------------------------------------

#: Lifetime assumed when a token endpoint does not say (RFC 6749 makes ``expires_in`` optional).
DEFAULT_TOKEN_LIFETIME = 300.0
#: A token is refreshed this long before it expires at most (10% of its lifetime for short ones).
REFRESH_LEEWAY = 60.0


@dataclass(frozen=True)
class AccessToken:
    """An access token and when (on the cache's clock) it should be replaced."""

    value: str = field(repr=False)
    refresh_at: float
    expires_at: float

    @property
    def header(self) -> str:
        return f"Bearer {self.value}"


def parse_token_response(token_url: str, body: Mapping[str, Any], now: float) -> AccessToken:
    """An :class:`AccessToken` from a token endpoint's JSON answer (RFC 6749 section 5.1)."""
    value = body.get("access_token")
    token_type = str(body.get("token_type") or "Bearer")
    if not isinstance(value, str) or not value or token_type.lower() != "bearer":
        raise PlanetAuthError(
            f"OAuth2 token endpoint {token_url} answered without a bearer access token "
            f"(token_type {token_type!r})"
        )
    try:
        lifetime = float(body.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
    except (TypeError, ValueError):
        lifetime = DEFAULT_TOKEN_LIFETIME
    lifetime = max(lifetime, 1.0)
    leeway = min(REFRESH_LEEWAY, lifetime / 10)
    return AccessToken(value, refresh_at=now + lifetime - leeway, expires_at=now + lifetime)


def token_request(credentials: Credentials) -> tuple[str, dict[str, str], str]:
    """
    The client-credentials token request (RFC 6749 section 4.4) as ``(url, headers, body)``,
    prepared by Authlib: the form body, and the client authenticated by HTTP Basic
    (``client_secret_basic``). Either transport sends it as it is.
    """
    from authlib.oauth2.auth import ClientAuth
    from authlib.oauth2.rfc6749.parameters import prepare_token_request

    body = prepare_token_request("client_credentials", scope=credentials.scope)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    auth = ClientAuth(credentials.client_id, credentials.secret, "client_secret_basic")
    url, headers, body = auth.prepare("POST", credentials.token_url or "", headers, body)
    return url, dict(headers), body


def token_fetch_failed(credentials: Credentials, reason: str) -> PlanetConnectionError:
    """The token endpoint could not be reached or is in trouble: transient, and the API request
    itself was not sent (so even an order creation may be retried)."""
    return PlanetConnectionError(
        f"OAuth2 token request to {credentials.token_url} failed ({reason}); the API request was not sent",
        request_sent=False,
    )


def read_token_answer(credentials: Credentials, status: int, content: bytes, now: float) -> AccessToken:
    """
    The token endpoint's answer, checked. 429 and 5xx are transient (see
    :func:`token_fetch_failed`); a refusal (``invalid_client``, ...) is a :class:`PlanetAuthError`
    carrying the endpoint's error code and description, never the secret.
    """
    if status == 429 or status >= 500:
        raise token_fetch_failed(credentials, f"HTTP {status}")
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise PlanetAuthError(
            f"OAuth2 token endpoint {credentials.token_url} answered HTTP {status} without a JSON object",
            status=status,
        )
    if status >= 300 or "error" in body:
        error = body.get("error") or f"HTTP {status}"
        description = body.get("error_description")
        raise PlanetAuthError(
            f"OAuth2 token endpoint {credentials.token_url} refused client {credentials.client_id!r}: "
            f"{error}" + (f" ({description})" if description else ""),
            status=status,
            planet_message=str(description) if description else None,
        )
    return parse_token_response(credentials.token_url or "", body, now)


class TokenCache:
    """
    Access tokens per (token URL, client id), shared by every hook in the process.

    :meth:`get` gives a token until its refresh time (shortly before it expires), then ``None``
    so that the caller fetches a new one. Thread-safe; the lock is held for microseconds, so it
    is safe to take on an event loop. :meth:`fetch_lock` serialises fetches per client in one
    thread pool, so that ten tasks starting together ask for one token, not ten.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str, str], AccessToken] = {}
        self._fetch_locks: dict[tuple[str, str, str], threading.Lock] = {}

    def get(self, credentials: Credentials) -> AccessToken | None:
        with self._lock:
            token = self._tokens.get(credentials.cache_key)
        if token is None or token.refresh_at <= self.clock():
            return None
        return token

    def store(self, credentials: Credentials, status: int, content: bytes) -> AccessToken:
        """Read a token endpoint's answer (:func:`read_token_answer`) and keep the token."""
        token = read_token_answer(credentials, status, content, self.clock())
        with self._lock:
            self._tokens[credentials.cache_key] = token
        return token

    def invalidate(self, credentials: Credentials, header: str | None) -> bool:
        """
        Forget the token a request was refused with (401). ``True`` when it was an OAuth2 token,
        so that one more attempt with a fresh token makes sense; also when another hook has
        already replaced it.
        """
        if credentials.method is not AuthMethod.OAUTH2 or not header:
            return False
        with self._lock:
            token = self._tokens.get(credentials.cache_key)
            if token is not None and token.header == header:
                del self._tokens[credentials.cache_key]
        return True

    def fetch_lock(self, credentials: Credentials) -> threading.Lock:
        with self._lock:
            return self._fetch_locks.setdefault(credentials.cache_key, threading.Lock())

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()

    def __repr__(self) -> str:
        with self._lock:
            return f"<TokenCache {len(self._tokens)} tokens>"


#: The process-wide cache every hook shares.
TOKEN_CACHE = TokenCache()


__all__ = [
    "API_KEY_ENV",
    "TOKEN_CACHE",
    "AccessToken",
    "AuthMethod",
    "Credentials",
    "TokenCache",
    "credentials_from_connection",
    "key_fingerprint",
    "parse_token_response",
    "read_token_answer",
    "token_fetch_failed",
    "token_request",
]
