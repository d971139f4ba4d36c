"""
The emulator's settings: one validated, immutable :class:`EmulatorConfig` per server.

The command line, :func:`~airflow_provider_planet_orders.emulator.run_emulator` and the
``/_emulator/config`` route all build the same model, so a setting means the same everywhere.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from airflow_provider_planet_orders.core.api import (
    DEFAULT_RATE_LIMITS,
    MAX_QUEUED_ORDERS_PER_ORGANIZATION,
    Endpoint,
)

#: The key the emulator accepts when no ``--api-key`` is given. It is public on purpose: it
#: works only against an emulator, never against Planet.
DEMO_API_KEY = "PLAK-emulator-demo-key"

#: The OAuth2 client the emulator accepts when none is configured: public, like the demo key.
DEMO_CLIENT_ID = "emulator-demo-client"
DEMO_CLIENT_SECRET = "emulator-demo-secret"  # noqa: S105 - works only against an emulator

#: Endpoint names, as used for rate limits, fault settings and request statistics.
#: The endpoints with faults and rate limits. Not the bundle spec: public and unpaced, as Planet's.
ENDPOINTS: tuple[str, ...] = tuple(e.value for e in Endpoint if e is not Endpoint.SPEC)

#: Statuses an injected error picks from: what a client of Planet really meets.
DEFAULT_ERROR_STATUSES: tuple[int, ...] = (429, 500, 502, 503)

MiB = 1024 * 1024

_Probability = Field(default=0.0, ge=0.0, le=1.0)


class FaultRates(BaseModel):
    """
    Fault injection for one endpoint. Each ``*_rate`` is a probability per request.

    ``create_commit_drop_rate`` only applies to ``create``; ``download_*`` only to ``download``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    error_rate: float = _Probability
    error_statuses: tuple[int, ...] = DEFAULT_ERROR_STATUSES
    latency_ms: float = Field(default=0.0, ge=0.0, le=600_000.0)
    drop_rate: float = _Probability
    create_commit_drop_rate: float = _Probability
    download_drop_rate: float = _Probability
    download_corrupt_rate: float = _Probability

    @field_validator("error_statuses")
    @classmethod
    def _statuses(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value:
            raise ValueError("needs at least one status")
        for status in value:
            if not 400 <= status <= 599:
                raise ValueError(f"{status} is not an HTTP error status (400-599)")
        return value


#: Names of the fault settings, as accepted by ``set_faults`` and ``PUT /_emulator/faults``.
FAULT_FIELDS: tuple[str, ...] = tuple(FaultRates.model_fields)


class EmulatorConfig(BaseModel):
    """
    Everything that shapes one emulator. Durations are in seconds of the emulator's clock.

    The fault fields are the defaults for every endpoint; a running emulator can change them per
    endpoint (``set_faults``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    api_keys: tuple[str, ...] = (DEMO_API_KEY,)
    #: OAuth2 clients (id -> secret) the token endpoint issues access tokens to.
    oauth_clients: dict[str, str] = Field(default_factory=lambda: {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET})
    #: Seconds (of the emulator's clock) an access token stays valid.
    token_ttl: float = Field(default=3600.0, gt=0.0)

    queued_seconds: float = Field(default=2.0, ge=0.0)
    running_seconds: float = Field(default=5.0, ge=0.0)
    duration_jitter: float = Field(default=0.0, ge=0.0, le=1.0)
    file_size: int = Field(default=MiB, ge=0)
    link_ttl: float = Field(default=3600.0, gt=0.0)
    #: Orders all keys together (one organisation) may hold queued; Planet's limit by default.
    max_queued_orders: int = Field(default=MAX_QUEUED_ORDERS_PER_ORGANIZATION, ge=1)

    rate_limits: bool = True
    rate_limit_per_second: dict[str, float] = Field(
        default_factory=lambda: {
            str(e.value): float(r) for e, r in DEFAULT_RATE_LIMITS.items() if e.value in ENDPOINTS
        }
    )

    error_rate: float = _Probability
    error_statuses: tuple[int, ...] = DEFAULT_ERROR_STATUSES
    latency_ms: float = Field(default=0.0, ge=0.0, le=600_000.0)
    drop_rate: float = _Probability
    create_commit_drop_rate: float = _Probability
    download_drop_rate: float = _Probability
    download_corrupt_rate: float = _Probability

    seed: int | None = None
    webhook_timeout: float = Field(default=5.0, gt=0.0)

    @field_validator("api_keys")
    @classmethod
    def _keys(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("needs at least one API key")
        if any(not key or key != key.strip() or ":" in key for key in value):
            raise ValueError("API keys must be non-empty, without surrounding spaces or ':'")
        return tuple(dict.fromkeys(value))

    @field_validator("oauth_clients")
    @classmethod
    def _clients(cls, value: dict[str, str]) -> dict[str, str]:
        if any(not cid or not secret or ":" in cid for cid, secret in value.items()):
            raise ValueError("OAuth2 client ids and secrets must be non-empty, ids without ':'")
        return value

    @field_validator("rate_limit_per_second")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        rates = {str(e.value): float(r) for e, r in DEFAULT_RATE_LIMITS.items() if e.value in ENDPOINTS}
        for name, rate in value.items():
            if name not in ENDPOINTS:
                raise ValueError(f"unknown endpoint {name!r} (known: {', '.join(ENDPOINTS)})")
            if not rate > 0:
                raise ValueError(f"rate for {name!r} must be > 0 requests per second")
            rates[name] = float(rate)
        return rates

    @field_validator("error_statuses")
    @classmethod
    def _statuses(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return FaultRates(error_statuses=value).error_statuses

    def fault_rates(self) -> FaultRates:
        """The configured fault settings, which every endpoint starts with."""
        return FaultRates(**{name: getattr(self, name) for name in FAULT_FIELDS})

    def updated(self, **options: Any) -> EmulatorConfig:
        """A validated copy with ``options`` changed (``model_copy`` would skip validation)."""
        return EmulatorConfig.model_validate({**self.model_dump(), **options})


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """
    Bytes from ``"1048576"``, ``"512KiB"``, ``"50MB"`` or ``"2G"``.

    Suffixes are binary (``MB`` and ``MiB`` both mean 1024 * 1024): file sizes here are test
    fixtures, where round binary sizes are what people mean.
    """
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size such as 1048576, 512KiB, 50MB or 2G")
    number, unit = float(match.group(1)), match.group(2).lower()
    factor = 1024 ** " kmgt".index(unit or " ")
    return int(number * factor)
