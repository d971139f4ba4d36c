"""
The FastAPI application: Planet's Orders API paths, downloads, and the ``/_emulator`` controls.

Layers, outermost first:

* :class:`Gateway` (ASGI middleware) serves outages, drops connections on request, and counts
  every request to a Planet path by endpoint and status.
* The :func:`caller` dependency authenticates (three forms), rate limits per key and endpoint,
  and injects errors, latency and drops.
* Routes do the work through :class:`~airflow_provider_planet_orders.emulator.state.Emulator`.

Routes answer with ``JSONResponse`` directly, not through FastAPI's serialisation: a client polls
the get-order route, and the emulator must never be the slow side of a benchmark.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from enum import Enum
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs, quote, unquote_plus

from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from airflow_provider_planet_orders import __version__
from airflow_provider_planet_orders.core.api import (
    BULK_CANCEL_PATH,
    BUNDLES_SPEC_PATH,
    MAX_BULK_CANCEL_IDS,
    ORDERS_PATH,
    STATS_PATH,
)
from airflow_provider_planet_orders.core.bundles import BundleSpec
from airflow_provider_planet_orders.emulator.config import EmulatorConfig
from airflow_provider_planet_orders.emulator.files import FileSpec, InvalidToken
from airflow_provider_planet_orders.emulator.listing import ListQuery, ListQueryError
from airflow_provider_planet_orders.emulator.state import DOWNLOAD_PATH, Emulator, QueueFull, UnknownOrder
from airflow_provider_planet_orders.emulator.stats import DROPPED
from airflow_provider_planet_orders.emulator.transport import DropConnection, drop, transport_for
from airflow_provider_planet_orders.emulator.validation import (
    OrderRequestInvalid,
    json_path,
    validate_order_request,
)
from airflow_provider_planet_orders.emulator.webhooks import run_notifier

CONTROL_PREFIX = "/_emulator"
_RECORD = "planet_emulator.record"


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class ApiError(Exception):
    """An error answer, with Planet's body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def bad_request(fields: dict[str, list[str]], general: str = "Invalid request") -> ApiError:
    return ApiError(
        400,
        {
            "field": {name: [{"message": m} for m in messages] for name, messages in fields.items()},
            "general": [{"message": general}],
        },
    )


def queue_full(limit: int) -> ApiError:
    """Planet's refusal of a create while the organisation's queue is full: a 400, not retried."""
    return ApiError(
        400,
        {
            "field": {},
            "general": [
                {"message": "Unable to accept order"},
                {
                    "message": f"Your organization has reached its limit of {limit} queued orders: "
                    "wait for some to start or cancel some"
                },
            ],
        },
    )


def message(status: int, text: str, headers: dict[str, str] | None = None) -> ApiError:
    return ApiError(status, {"message": text}, headers)


async def _api_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return JSONResponse(error.body, error.status, headers=error.headers)


async def _validation_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    fields: dict[str, list[str]] = {}
    for problem in error.errors():
        loc = list(problem["loc"])
        if loc[:1] == ["query"]:
            # A query parameter is named alone, and its value said: "state": "got 'exploded'".
            field = str(loc[1]) if len(loc) > 1 else "query"
            text = f"{problem['msg']} (got {problem.get('input')!r})"
        else:
            field = json_path([p for p in loc if p not in ("body", "path", "header")]) or "request"
            text = problem["msg"]
        fields.setdefault(field, []).append(text)
    return await _api_error(_, bad_request(fields))


async def _http_error(_: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    return JSONResponse({"message": error.detail}, error.status_code, headers=error.headers)


# --------------------------------------------------------------------------------------------
# Gateway middleware
# --------------------------------------------------------------------------------------------


def classify(method: str, path: str) -> str:
    """The endpoint a request to a Planet path is for: the names of the statistics."""
    if path == ORDERS_PATH:
        return {"POST": "create", "GET": "list"}.get(method, "other")
    if path.startswith(ORDERS_PATH + "/"):
        return {"GET": "get", "PUT": "cancel"}.get(method, "other")
    if path == BULK_CANCEL_PATH:
        return "bulk_cancel"
    if path == STATS_PATH:
        return "stats"
    if path.rstrip("/") == DOWNLOAD_PATH.rstrip("/"):
        return "download"
    if path == BUNDLES_SPEC_PATH:
        return "bundles_spec"
    if path == TOKEN_PATH:
        return "token"
    return "other"


class RequestRecord:
    """
    The statistics entry of one request, written before the client can see the outcome.

    A status is counted when the response starts (before its bytes leave), and moved to
    ``dropped`` before a connection is dropped, so that a client reading ``/_emulator/stats``
    right after a response or a reset always finds its request counted.
    """

    def __init__(self, emulator: Emulator, endpoint: str) -> None:
        self.emulator = emulator
        self.endpoint = endpoint
        self.status: int | str | None = None

    def started(self, status: int) -> None:
        self.status = status
        self.emulator.record_request(self.endpoint, status)

    def dropped(self, fault: str) -> None:
        """Count the request as dropped by ``fault``; call just before dropping."""
        self.emulator.record_fault(fault)
        self.emulator.record_request(self.endpoint, DROPPED, replacing=self.status)
        self.status = DROPPED


def record_of(scope: Scope) -> RequestRecord | None:
    record = scope.get(_RECORD)
    return record if isinstance(record, RequestRecord) else None


class Gateway:
    """Outages, connection drops and request accounting for every path outside ``/_emulator``."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        record = RequestRecord(self.emulator, classify(scope["method"], scope["path"]))
        if self.emulator.in_outage() and transport_for(scope) is not None:
            record.dropped("outage_drop")
            await drop(scope)
            return
        scope[_RECORD] = record

        async def send_and_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.started(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_count)
        except DropConnection as instruction:
            if transport_for(scope) is None:
                raise
            record.dropped(instruction.kind)
            await drop(scope)
        finally:
            if record.status is None:  # no response and no drop: the client saw nothing
                self.emulator.record_request(record.endpoint, DROPPED)


# --------------------------------------------------------------------------------------------
# Authentication, rate limits and faults
# --------------------------------------------------------------------------------------------


#: The emulator's OAuth2 token endpoint (client credentials), at the path of a Keycloak realm.
TOKEN_PATH = "/auth/realms/main/protocol/openid-connect/token"  # noqa: S105 - a path, not a secret


def _basic_credentials(value: str) -> tuple[str, str] | None:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, _, password = decoded.partition(":")
    return user, password


def credentials_from(request: Request) -> tuple[str, str | None]:
    """
    ``("key", KEY)`` from any of Planet's three API-key forms (Basic with the key as user name,
    ``Authorization: api-key <KEY>``, the ``api_key`` query parameter), or ``("bearer", TOKEN)``
    for an OAuth2 access token. When an ``Authorization`` header is present it is the one used.
    """
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        scheme = scheme.lower()
        if scheme == "basic":
            credentials = _basic_credentials(value)
            return "key", (credentials[0] or None) if credentials else None
        if scheme == "api-key":
            return "key", value.strip() or None
        if scheme == "bearer":
            return "bearer", value.strip() or None
        return "key", None
    return "key", request.query_params.get("api_key") or None


def api_key_from(request: Request) -> str | None:
    """The API key of a request, if it carries one (see :func:`credentials_from`)."""
    kind, value = credentials_from(request)
    return value if kind == "key" else None


async def admit(request: Request, emulator: Emulator, owner: str, endpoint: str) -> None:
    """Rate limit, then the faults of ``endpoint``: latency, an error status, or a drop."""
    retry_after = emulator.take_token(owner, endpoint)
    if retry_after is not None:
        raise message(
            429,
            f"Too many requests: the {endpoint} rate limit is "
            f"{emulator.config.rate_limit_per_second[endpoint]:g} per second per API key",
            {"Retry-After": str(retry_after)},
        )
    latency, status, dropped = emulator.decide_faults(endpoint)
    if latency:
        await asyncio.sleep(latency)
    if status is not None:
        headers = {"Retry-After": "1"} if status == 429 else None
        raise message(status, f"Injected fault: HTTP {status} (Planet Orders API emulator)", headers)
    if dropped:
        raise DropConnection("drop")


def caller(endpoint: str) -> Callable[[Request], Awaitable[str]]:
    """A dependency that admits a request to ``endpoint`` and returns its key's fingerprint."""

    async def dependency(request: Request) -> str:
        emulator: Emulator = request.app.state.emulator
        kind, value = credentials_from(request)
        if kind == "bearer":
            owner = emulator.authenticate_token(value)
            if owner is None:
                raise message(401, "Invalid or expired access token")
        else:
            owner = emulator.authenticate(value)
            if owner is None:
                text = "Invalid API key" if value else "Please enter your API key, or email and password."
                raise message(401, text)
        await admit(request, emulator, owner, endpoint)
        return owner

    dependency.__name__ = f"admit_{endpoint}"
    return dependency


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _order_id(order_id: str) -> str:
    try:
        return str(uuid.UUID(order_id))
    except ValueError:
        raise bad_request({"order_id": [f"{order_id!r} is not a valid UUID"]}) from None


def _not_found(order_id: str) -> ApiError:
    return message(404, f"Could not load order ID: {order_id}.")


# --------------------------------------------------------------------------------------------
# Downloads
# --------------------------------------------------------------------------------------------


class FileStream(Response):
    """
    Streams a generated file (or a slice of it) chunk by chunk, never whole.

    It can drop the connection after ``drop_at`` bytes, or flip the byte at ``corrupt_at``.
    """

    def __init__(
        self,
        emulator: Emulator,
        spec: FileSpec,
        owner: str,
        *,
        start: int,
        end: int,
        status_code: int,
        headers: dict[str, str],
        send_body: bool,
        drop_at: int | None = None,
        corrupt_at: int | None = None,
    ) -> None:
        self.emulator = emulator
        self.spec = spec
        self.owner = owner
        self.start, self.end = start, end
        self.status_code = status_code
        self.background = None
        self.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        self.send_body = send_body
        self.drop_at = drop_at
        self.corrupt_at = corrupt_at

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if not self.send_body:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        transport = transport_for(scope)
        length = self.end - self.start
        if length == 0:
            self.emulator.record_download_completed()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        sent = 0
        for chunk in self.spec.chunks(self.start, self.end):
            if self.drop_at is not None and sent + len(chunk) > self.drop_at:
                part = chunk[: self.drop_at - sent]
                self.emulator.record_bytes(self.owner, len(part))
                record = record_of(scope)
                if record is not None:
                    record.dropped("download_drop")
                await send({"type": "http.response.body", "body": part, "more_body": True})
                await drop(scope, flush=True)
                return
            if self.corrupt_at is not None and sent <= self.corrupt_at < sent + len(chunk):
                damaged = bytearray(chunk)
                damaged[self.corrupt_at - sent] ^= 0xFF
                chunk = bytes(damaged)
                self.emulator.record_fault("download_corrupt")
            sent += len(chunk)
            last = sent >= length
            # Counted before sending: a client that has every byte finds them in the statistics.
            self.emulator.record_bytes(self.owner, len(chunk))
            if last:
                self.emulator.record_download_completed()
            await send({"type": "http.response.body", "body": chunk, "more_body": not last})
            if transport is not None and transport.is_closing():
                return  # the client went away: stop generating


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """
    ``[start, end)`` of a single ``bytes=`` range, or ``None`` to send the whole file.

    Several ranges, or a header that does not parse, get the whole file (RFC 9110 allows it);
    a range that starts past the end raises 416.
    """
    if not header or not header.strip().lower().startswith("bytes="):
        return None
    if size == 0:
        raise _unsatisfiable(size)
    spec = header.strip()[6:].strip()
    if "," in spec:
        return None
    first, sep, last = spec.partition("-")
    if not sep:
        return None
    try:
        if not first.strip():
            suffix = int(last)
            if suffix <= 0:
                raise _unsatisfiable(size)
            return max(0, size - suffix), size
        start = int(first)
        end = size if not last.strip() else min(size, int(last) + 1)
    except ValueError:
        return None
    if start < 0 or (last.strip() and int(last) < start):
        return None
    if start >= size:
        raise _unsatisfiable(size)
    return start, end


def content_disposition(filename: str) -> str:
    """``attachment; filename="..."``, with RFC 6266's ``filename*`` when the name is not ASCII."""
    plain = filename.encode("ascii", "replace").decode("ascii").replace('"', "_").replace("\\", "_")
    if plain == filename:
        return f'attachment; filename="{plain}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _unsatisfiable(size: int) -> ApiError:
    return message(416, "Requested range not satisfiable", {"Content-Range": f"bytes */{size}"})


# --------------------------------------------------------------------------------------------
# Control bodies
# --------------------------------------------------------------------------------------------


class FaultUpdate(BaseModel):
    """``PUT /_emulator/faults``: the settings to change, for one endpoint or (null) all."""

    model_config = ConfigDict(extra="forbid")

    endpoint: Literal["create", "get", "list", "cancel", "bulk_cancel", "stats", "download"] | None = None
    error_rate: float | None = Field(default=None, ge=0, le=1)
    error_statuses: list[int] | None = None
    latency_ms: float | None = Field(default=None, ge=0)
    drop_rate: float | None = Field(default=None, ge=0, le=1)
    create_commit_drop_rate: float | None = Field(default=None, ge=0, le=1)
    download_drop_rate: float | None = Field(default=None, ge=0, le=1)
    download_corrupt_rate: float | None = Field(default=None, ge=0, le=1)


class Seconds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(ge=0)


class ForcedState(BaseModel):
    """``PUT /_emulator/orders/{order_id}/state``."""

    model_config = ConfigDict(extra="forbid")

    state: Literal["queued", "running", "success", "partial", "failed", "cancelled"]
    hold: bool = False
    message: str | None = None


# --------------------------------------------------------------------------------------------
# The application
# --------------------------------------------------------------------------------------------

StateFilter = Literal["queued", "running", "failed", "success", "partial", "cancelled"]


def create_app(config: EmulatorConfig | None = None) -> FastAPI:
    """The emulator as an ASGI application, with fresh state. Serve it with uvicorn."""
    emulator = Emulator(config or EmulatorConfig())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Hashing for manifests runs on threads of the emulator's own, so that stopping it
        # leaves no thread behind (a shared pool's idle threads would outlive it).
        hashing = ThreadPoolExecutor(max_workers=2, thread_name_prefix="planet-orders-emulator-hashing")
        emulator.executor = hashing
        notifier = asyncio.create_task(run_notifier(emulator))
        try:
            yield
        finally:
            notifier.cancel()
            await asyncio.gather(notifier, return_exceptions=True)
            emulator.loop = None
            emulator.executor = None
            hashing.shutdown(wait=True)

    app = FastAPI(
        title="Planet Orders API emulator",
        version=__version__,
        description="A local stand-in for Planet's Orders API v2; see docs/emulator.md.",
        docs_url=f"{CONTROL_PREFIX}/docs",
        redoc_url=None,
        openapi_url=f"{CONTROL_PREFIX}/openapi.json",
        lifespan=lifespan,
    )
    app.state.emulator = emulator
    app.add_middleware(Gateway, emulator=emulator)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    _planet_routes(app, emulator)
    _control_routes(app, emulator)
    return app


def _planet_routes(app: FastAPI, emulator: Emulator) -> None:
    tags: list[str | Enum] = ["Planet Orders API v2"]

    @app.get(ORDERS_PATH, tags=tags, summary="List orders")
    async def list_orders(
        request: Request,
        owner: Annotated[str, Depends(caller("list"))],
        state: Annotated[list[StateFilter] | None, Query()] = None,
        # Repeated or comma-separated (``scenes,basemaps``): parsed by ListQuery, not by FastAPI.
        source_type: Annotated[list[str] | None, Query()] = None,
        name: str | None = None,
        name__contains: str | None = None,
        created_on: str | None = None,
        last_modified: str | None = None,
        hosting: bool | None = None,
        sort_by: str | None = None,
        page_size: Annotated[int | None, Query(ge=1)] = None,
        page_marker: str | None = None,
        destination_ref: str | None = None,
        user_id: str | None = None,
    ) -> Response:
        try:
            query = ListQuery.parse(
                state=list(state) if state else None,
                source_type=list(source_type) if source_type else None,
                name=name,
                name_contains=name__contains,
                created_on=created_on,
                last_modified=last_modified,
                hosting=hosting,
                destination_ref=destination_ref,
                sort_by=sort_by,
                page_size=page_size,
                page_marker=page_marker,
            )
        except ListQueryError as error:
            raise bad_request({error.field: [error.message]}) from None
        orders, marker = emulator.list_orders(owner, query, _base_url(request))
        links: dict[str, str] = {"_self": str(request.url)}
        if marker is not None:
            links["next"] = str(request.url.include_query_params(page_marker=marker))
        return JSONResponse({"_links": links, "orders": orders})

    @app.post(ORDERS_PATH, tags=tags, summary="Create an order", status_code=202)
    async def create_order(request: Request, owner: Annotated[str, Depends(caller("create"))]) -> Response:
        try:
            raw = json.loads(await request.body() or b"null")
        except ValueError:
            raise bad_request({}, "The request body is not valid JSON") from None
        try:
            order_request = validate_order_request(raw)
        except OrderRequestInvalid as error:
            raise ApiError(400, error.body()) from None
        try:
            order = emulator.create_order(owner, order_request, _base_url(request))
        except QueueFull as full:
            raise queue_full(full.limit) from None
        if emulator.decide_commit_drop():
            raise DropConnection("create_commit_drop")
        return JSONResponse(order, 202)

    @app.get(ORDERS_PATH + "/{order_id}", tags=tags, summary="Get an order")
    async def get_order(
        order_id: str, request: Request, owner: Annotated[str, Depends(caller("get"))]
    ) -> Response:
        order_id = _order_id(order_id)
        try:
            return JSONResponse(emulator.get_order(owner, order_id, _base_url(request)))
        except UnknownOrder:
            raise _not_found(order_id) from None

    @app.put(ORDERS_PATH + "/{order_id}", tags=tags, summary="Cancel a queued order")
    async def cancel_order(
        order_id: str, request: Request, owner: Annotated[str, Depends(caller("cancel"))]
    ) -> Response:
        order_id = _order_id(order_id)
        try:
            cancelled, order = emulator.cancel_order(owner, order_id, _base_url(request))
        except UnknownOrder:
            raise _not_found(order_id) from None
        if not cancelled:
            raise message(
                409,
                f"Order not in a cancellable state: {order['state']} (only queued orders can be cancelled)",
            )
        return JSONResponse(order)

    @app.post(BULK_CANCEL_PATH, tags=tags, summary="Cancel orders in bulk")
    async def cancel_orders(
        request: Request, owner: Annotated[str, Depends(caller("bulk_cancel"))]
    ) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise bad_request({}, "The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise bad_request({"request": ["must be a JSON object"]})
        ids = body.get("order_ids")
        if ids is not None:
            if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_BULK_CANCEL_IDS:
                raise bad_request({"order_ids": [f"must be a list of 1 to {MAX_BULK_CANCEL_IDS} order ids"]})
            problems = {}
            for index, value in enumerate(ids):
                try:
                    ids[index] = str(uuid.UUID(str(value)))
                except ValueError:
                    problems[f"order_ids[{index}]"] = [f"{value!r} is not a valid UUID"]
            if problems:
                raise bad_request(problems)
        return JSONResponse(emulator.cancel_orders(owner, ids))

    @app.post(TOKEN_PATH, tags=["OAuth2"], summary="Issue an access token (client credentials)")
    async def token(request: Request) -> Response:
        # RFC 6749 section 4.4: a form body, the client authenticated by HTTP Basic
        # (client_secret_basic, Authlib's default) or by client_id/client_secret in the form.
        form = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        basic = _basic_credentials(value) if scheme.lower() == "basic" else None
        if basic is not None:
            client_id, client_secret = (unquote_plus(part) for part in basic)
        else:
            client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        no_store = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if form.get("grant_type") != "client_credentials":
            return JSONResponse(
                {
                    "error": "unsupported_grant_type" if form.get("grant_type") else "invalid_request",
                    "error_description": "only grant_type=client_credentials is supported",
                },
                400,
                headers=no_store,
            )
        issued = emulator.issue_token(client_id, client_secret)
        if issued is None:
            headers = {**no_store, "WWW-Authenticate": 'Basic realm="main"'} if basic else no_store
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Invalid client credentials"},
                401,
                headers=headers,
            )
        access_token, ttl = issued
        return JSONResponse(
            {"access_token": access_token, "token_type": "Bearer", "expires_in": int(ttl), "scope": ""},
            headers=no_store,
        )

    spec_body = json.dumps(BundleSpec.vendored().document).encode("utf-8")

    @app.get(BUNDLES_SPEC_PATH, tags=tags, summary="Planet's product-bundle spec")
    async def bundles_spec() -> Response:
        # Public, as Planet's (its SDK fetches it without credentials); the copy the emulator
        # validates orders with, so a client that fetches it agrees with the emulator.
        return Response(spec_body, media_type="application/json")

    @app.get(STATS_PATH, tags=tags, summary="Aggregated order stats")
    async def order_stats(owner: Annotated[str, Depends(caller("stats"))]) -> Response:
        return JSONResponse(emulator.order_stats(owner))

    @app.head(DOWNLOAD_PATH, tags=tags, summary="Headers of a result file", operation_id="head_result_file")
    @app.get(DOWNLOAD_PATH, tags=tags, summary="Download a result file", operation_id="download_result_file")
    async def download(request: Request, token: str | None = None) -> Response:
        if not token:
            raise message(401, "A download link needs its token")
        try:
            claims = emulator.signer.verify(token)
        except InvalidToken:
            raise message(401, "Invalid download token") from None
        if claims.expires < emulator.now():
            raise message(401, "Download link expired: get the order again for fresh links")
        try:
            target = emulator.resolve_download(claims.order_id, claims.index)
        except UnknownOrder:
            raise message(404, "File not found") from None
        await admit(request, emulator, target.owner, "download")
        spec = target.spec
        if spec.size < 0:
            if emulator.executor is not None:
                loop = asyncio.get_running_loop()
                spec = await loop.run_in_executor(emulator.executor, emulator.manifest_for, target.order)
            else:  # served without its lifespan
                spec = await run_in_threadpool(emulator.manifest_for, target.order)
        span = parse_range(request.headers.get("range"), spec.size)
        start, end = span if span is not None else (0, spec.size)
        headers = {
            "Content-Type": spec.media_type,
            "Content-Length": str(end - start),
            "Content-Disposition": content_disposition(spec.filename),
            "Accept-Ranges": "bytes",
        }
        if span is not None:
            headers["Content-Range"] = f"bytes {start}-{end - 1}/{spec.size}"
        send_body = request.method != "HEAD"
        drop_at, corrupt_at = emulator.decide_download_faults(end - start) if send_body else (None, None)
        return FileStream(
            emulator,
            spec,
            target.owner,
            start=start,
            end=end,
            status_code=206 if span is not None else 200,
            headers=headers,
            send_body=send_body,
            drop_at=drop_at,
            corrupt_at=corrupt_at,
        )


def _control_routes(app: FastAPI, emulator: Emulator) -> None:
    tags: list[str | Enum] = ["Emulator controls (no API key)"]
    prefix = CONTROL_PREFIX

    @app.get(f"{prefix}/stats", tags=tags, summary="Requests, orders, bytes and faults so far")
    async def stats() -> Response:
        return JSONResponse(emulator.snapshot())

    @app.get(f"{prefix}/faults", tags=tags, summary="Fault settings per endpoint")
    async def faults() -> Response:
        return JSONResponse(emulator.fault_settings())

    @app.put(f"{prefix}/faults", tags=tags, summary="Change fault settings of one or every endpoint")
    async def set_faults(update: FaultUpdate) -> Response:
        rates = update.model_dump(exclude_unset=True, exclude={"endpoint"})
        try:
            return JSONResponse(emulator.set_faults(update.endpoint, **rates))
        except ValueError as error:
            raise bad_request({"faults": [str(error)]}) from None

    @app.delete(f"{prefix}/faults", tags=tags, summary="Every endpoint back to the configured faults")
    async def clear_faults() -> Response:
        return JSONResponse(emulator.clear_faults())

    @app.post(f"{prefix}/reset", tags=tags, summary="Forget everything: back to a fresh emulator")
    async def reset() -> Response:
        emulator.reset()
        return JSONResponse({"reset": True, **emulator.clock_info()})

    @app.get(f"{prefix}/clock", tags=tags, summary="The emulator's clock")
    async def clock() -> Response:
        return JSONResponse(emulator.clock_info())

    @app.post(f"{prefix}/clock/advance", tags=tags, summary="Move the clock forward")
    async def advance(body: Seconds) -> Response:
        emulator.advance(body.seconds)
        return JSONResponse(emulator.clock_info())

    @app.get(f"{prefix}/outage", tags=tags, summary="Seconds left of the current outage")
    async def outage_info() -> Response:
        return JSONResponse({"remaining_seconds": emulator.outage_remaining()})

    @app.post(f"{prefix}/outage", tags=tags, summary="Drop every Planet connection for a while")
    async def outage(body: Seconds) -> Response:
        emulator.outage(body.seconds)
        return JSONResponse({"remaining_seconds": emulator.outage_remaining()})

    @app.put(f"{prefix}/orders/{{order_id}}/state", tags=tags, summary="Put an order in a state")
    async def force_state(order_id: str, body: ForcedState, request: Request) -> Response:
        order_id = _order_id(order_id)
        try:
            order = emulator.force_state(
                order_id, body.state, hold=body.hold, message=body.message, base_url=_base_url(request)
            )
        except UnknownOrder:
            raise _not_found(order_id) from None
        return JSONResponse(order)

    @app.get(f"{prefix}/config", tags=tags, summary="The running configuration")
    async def get_config() -> Response:
        return JSONResponse(emulator.public_config())

    @app.patch(f"{prefix}/config", tags=tags, summary="Change settings of the running emulator")
    async def patch_config(options: Annotated[dict[str, Any], Body()]) -> Response:
        try:
            emulator.configure(**options)
        except ValueError as error:
            raise bad_request({"config": [str(error)]}) from None
        return JSONResponse(emulator.public_config())

    @app.post(f"{prefix}/webhooks/sink", tags=tags, summary="Receive webhooks (for demos and tests)")
    async def webhook_sink(payload: Annotated[Any, Body()]) -> Response:
        emulator.receive_webhook(payload)
        return JSONResponse({"received": True})

    @app.get(f"{prefix}/webhooks/sink", tags=tags, summary="Webhooks received by the sink")
    async def webhook_sink_contents() -> Response:
        return JSONResponse({"received": emulator.received_webhooks()})
