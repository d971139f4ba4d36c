"""
Serving the emulator: in-process in a background thread (:func:`run_emulator`), or in the
foreground for the command line (:func:`serve`).

The listening socket is bound here, not by uvicorn, so that port 0 gives a free port whose number
is known before the first request, and no two emulators can race for one port.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI

from airflow_provider_planet_orders.emulator.app import TOKEN_PATH, create_app
from airflow_provider_planet_orders.emulator.config import EmulatorConfig
from airflow_provider_planet_orders.emulator.state import Emulator
from airflow_provider_planet_orders.emulator.transport import protocol_class

_STARTUP_TIMEOUT = 15.0


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)  # noqa: S104
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def uvicorn_config(
    app: FastAPI, *, log_level: str | None = "warning", access_log: bool = False, own_logging: bool = False
) -> uvicorn.Config:
    """
    uvicorn settings for the emulator: its own HTTP protocol. In-process, the host's logging is
    left alone; the command line (``own_logging``) lets uvicorn configure its loggers.
    """
    return uvicorn.Config(
        app,
        http=protocol_class(),
        lifespan="on",
        log_config=uvicorn.config.LOGGING_CONFIG if own_logging else None,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=2,
        timeout_keep_alive=30,
        ws="none",
    )


@dataclass
class EmulatorHandle:
    """
    A running emulator: its URL and key, and the controls tests use instead of sleeping.

    Every control acts directly on the emulator's state (no HTTP), and is safe from any thread.
    """

    url: str
    api_key: str
    emulator: Emulator

    @property
    def config(self) -> EmulatorConfig:
        return self.emulator.config

    @property
    def api_keys(self) -> tuple[str, ...]:
        return self.emulator.config.api_keys

    def stats(self) -> dict[str, Any]:
        """The same JSON as ``GET /_emulator/stats``."""
        return self.emulator.snapshot()

    def reset(self) -> None:
        """Forget orders, statistics, buckets, faults, outage and clock offset; back to the start."""
        self.emulator.reset()

    def configure(self, **options: Any) -> EmulatorConfig:
        """Change settings (durations, file size, rate limits, faults...) until the next reset."""
        return self.emulator.configure(**options)

    def set_faults(self, endpoint: str | None = None, **rates: Any) -> dict[str, dict[str, Any]]:
        """Change fault settings of one endpoint (``"get"``, ``"download"``...) or, with None, all."""
        return self.emulator.set_faults(endpoint, **rates)

    def clear_faults(self) -> dict[str, dict[str, Any]]:
        return self.emulator.clear_faults()

    def faults(self) -> dict[str, dict[str, Any]]:
        return self.emulator.fault_settings()

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward: orders progress and links expire as if time passed."""
        self.emulator.advance(seconds)

    def outage(self, seconds: float) -> None:
        """Drop every connection to a Planet path for ``seconds`` of real time (0 ends it)."""
        self.emulator.outage(seconds)

    def force_state(
        self, order_id: str, state: str, *, hold: bool = False, message: str | None = None
    ) -> dict[str, Any]:
        """
        Put an order in ``state`` now, and return its JSON. A queued or running order then goes on
        with the configured durations, unless ``hold``.
        """
        return self.emulator.force_state(order_id, state, hold=hold, message=message, base_url=self.url)

    def webhooks_received(self) -> list[Any]:
        """Payloads posted to ``<url>/_emulator/webhooks/sink``."""
        return self.emulator.received_webhooks()

    def order_url(self, order_id: str) -> str:
        return f"{self.url}/compute/ops/orders/v2/{order_id}"

    def order_page_url(self, order_id: str) -> str:
        """The order's read-only page for people (HTML, no key needed)."""
        return f"{self.url}/_emulator/orders/{order_id}"

    @property
    def token_url(self) -> str:
        """The OAuth2 token endpoint (client credentials grant)."""
        return f"{self.url}{TOKEN_PATH}"

    @property
    def oauth_client(self) -> tuple[str, str]:
        """``(client_id, client_secret)`` of the first OAuth2 client the emulator accepts."""
        return next(iter(self.emulator.config.oauth_clients.items()))


class _ThreadedServer:
    def __init__(self, config: EmulatorConfig) -> None:
        self.app = create_app(config)
        self.sock = bind(config.host, config.port)
        self.url = base_url(self.sock, config.host)
        self.server = uvicorn.Server(uvicorn_config(self.app))
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, name=f"planet-orders-emulator {self.url}", daemon=True
        )

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as error:
            self.error = error

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Orders API emulator did not start at {self.url}") from self.error
            time.sleep(0.005)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        if self.thread.is_alive():  # pragma: no cover - uvicorn ignored should_exit
            self.server.force_exit = True
            self.thread.join(timeout=5)


@contextmanager
def run_emulator(config: EmulatorConfig | None = None, **options: Any) -> Iterator[EmulatorHandle]:
    """
    Start an emulator in a background thread on 127.0.0.1 and a free port; yield its handle.

    ``options`` override fields of ``config`` (``run_emulator(queued_seconds=0.1)``). Leaving the
    block stops the server and joins its thread. Several can run at once.
    """
    config = (config or EmulatorConfig(port=0)).updated(**options)
    server = _ThreadedServer(config)
    server.start()
    try:
        yield EmulatorHandle(server.url, config.api_keys[0], server.app.state.emulator)
    finally:
        server.stop()


def serve(config: EmulatorConfig, *, log_level: str = "info", access_log: bool = False) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM, then stop gracefully and return."""
    app = create_app(config)
    sock = bind(config.host, config.port)
    url = base_url(sock, config.host)
    print(f"Planet Orders API emulator listening on {url}", flush=True)
    print(f"  base URL for clients: {url}  (orders at {url}/compute/ops/orders/v2)", flush=True)
    for key in config.api_keys:
        print(f"  API key: {key}", flush=True)
    for client_id, secret in config.oauth_clients.items():
        print(f"  OAuth2 client: {client_id} / {secret}  (token URL {url}{TOKEN_PATH})", flush=True)
    print(f"  controls: {url}/_emulator/docs", flush=True)
    server = uvicorn.Server(uvicorn_config(app, log_level=log_level, access_log=access_log, own_logging=True))

    def stop(signum: int, frame: object) -> None:
        # uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again for the
        # handler it found: this one, so that a requested stop ends with status 0.
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
