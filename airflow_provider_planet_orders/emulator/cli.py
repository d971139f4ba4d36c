"""
``planet-orders-emulator``: serve the Orders API emulator from the command line.

It imports neither Airflow nor the hooks, so it starts in well under a second.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from airflow_provider_planet_orders import __version__
from airflow_provider_planet_orders.emulator.config import (
    DEFAULT_ERROR_STATUSES,
    DEMO_API_KEY,
    ENDPOINTS,
    EmulatorConfig,
    parse_size,
)

DEFAULT_PORT = 8765


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _statuses(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of statuses") from None


def _rate(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    if not sep or name not in ENDPOINTS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not ENDPOINT=RATE with ENDPOINT one of {', '.join(ENDPOINTS)}"
        )
    try:
        return name, float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of requests per second") from None


def build_parser() -> argparse.ArgumentParser:
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(
        prog="planet-orders-emulator",
        description=(
            "A local stand-in for Planet's Orders API v2: order lifecycle, downloads, rate limits "
            "and fault injection. Point a client at the printed base URL instead of https://api.planet.com."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    server = parser.add_argument_group("server")
    server.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    server.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port to listen on; 0 picks a free one"
    )
    server.add_argument(
        "--api-key",
        dest="api_keys",
        action="append",
        metavar="KEY",
        help=f"accepted API key; repeat for several, orders belong to their key [default: {DEMO_API_KEY}]",
    )
    server.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    server.add_argument("--access-log", action="store_true", help="log every request (slows the emulator)")

    orders = parser.add_argument_group("orders")
    orders.add_argument(
        "--queued-seconds", type=float, default=defaults.queued_seconds, help="time spent queued"
    )
    orders.add_argument(
        "--running-seconds", type=float, default=defaults.running_seconds, help="time spent running"
    )
    orders.add_argument(
        "--duration-jitter",
        type=float,
        default=defaults.duration_jitter,
        help="spread both durations by up to this fraction, seeded by --seed (0.2 = +/-20%%)",
    )
    orders.add_argument(
        "--file-size",
        type=_size,
        default=defaults.file_size,
        help="size of each result file: bytes, or with a suffix (512KiB, 50MB, 2G; binary units)",
    )
    orders.add_argument(
        "--link-ttl", type=float, default=defaults.link_ttl, help="seconds a download link is valid"
    )

    limits = parser.add_argument_group("rate limits")
    limits.add_argument(
        "--rate-limits",
        action=argparse.BooleanOptionalAction,
        default=True,
        help=(
            "answer 429 beyond Planet's per-key limits "
            "(create/get/list/cancel 3/s; bulk_cancel/stats/download 5/s)"
        ),
    )
    limits.add_argument(
        "--rate-limit",
        dest="rate_overrides",
        action="append",
        type=_rate,
        metavar="ENDPOINT=RATE",
        help="override one endpoint's limit in requests per second (repeatable)",
    )

    faults = parser.add_argument_group("fault injection (probabilities from 0 to 1, for every endpoint)")
    faults.add_argument("--error-rate", type=float, default=0.0, help="answer an error status instead")
    faults.add_argument(
        "--error-statuses",
        type=_statuses,
        default=DEFAULT_ERROR_STATUSES,
        help="statuses --error-rate picks from, comma-separated",
    )
    faults.add_argument("--latency-ms", type=float, default=0.0, help="milliseconds added to every response")
    faults.add_argument(
        "--drop-rate", type=float, default=0.0, help="drop the connection before the response"
    )
    faults.add_argument(
        "--create-commit-drop-rate",
        type=float,
        default=0.0,
        help="create the order, then drop the connection without a response",
    )
    faults.add_argument("--download-drop-rate", type=float, default=0.0, help="drop a download mid-file")
    faults.add_argument(
        "--download-corrupt-rate", type=float, default=0.0, help="flip one byte of a download"
    )
    faults.add_argument(
        "--seed", type=int, default=None, help="seed for faults and jitter (reproducible runs)"
    )
    return parser


def config_from(args: argparse.Namespace) -> EmulatorConfig:
    options = {
        name: getattr(args, name)
        for name in (
            "host",
            "port",
            "queued_seconds",
            "running_seconds",
            "duration_jitter",
            "file_size",
            "link_ttl",
            "rate_limits",
            "error_rate",
            "error_statuses",
            "latency_ms",
            "drop_rate",
            "create_commit_drop_rate",
            "download_drop_rate",
            "download_corrupt_rate",
            "seed",
        )
    }
    options["api_keys"] = tuple(args.api_keys or (DEMO_API_KEY,))
    options["rate_limit_per_second"] = dict(args.rate_overrides or ())
    return EmulatorConfig(**options)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from(args)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        parser.error(problems)
    from airflow_provider_planet_orders.emulator.server import serve

    try:
        serve(config, log_level=args.log_level, access_log=args.access_log)
    except OSError as error:
        print(
            f"planet-orders-emulator: cannot listen on {config.host}:{config.port}: {error}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
