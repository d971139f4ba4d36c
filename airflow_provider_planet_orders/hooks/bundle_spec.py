"""
Planet's live product-bundle spec, cached: in the process and on disk, for a day.

The validator checks bundles against the copy shipped with the package; a request that names a
bundle or an item type that copy does not know asks for the live spec (``GET
/compute/ops/bundles/spec``), which Planet updates as it adds products. One fetch a day per base
URL and machine is plenty: the file cache serves every task process of the host, the in-process
cache every hook of the process. When the API cannot be reached, the shipped copy answers (with
one warning in the task log): a spec check never fails a task by itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from airflow_provider_planet_orders.core.bundles import BundleSpec, BundleSpecError
from airflow_provider_planet_orders.exceptions import PlanetOrdersError

#: How long a fetched spec is trusted.
MAX_AGE = 24 * 3600.0
#: After a failed fetch, the shipped copy answers for this long before the next attempt.
RETRY_AFTER_FAILURE = 600.0
#: Where the day-long copies live (one file per base URL); override with this variable.
CACHE_DIR_ENV = "PLANET_ORDERS_CACHE_DIR"

_memory: dict[str, tuple[float, BundleSpec]] = {}
_lock = threading.Lock()


def cache_dir() -> Path:
    configured = os.environ.get(CACHE_DIR_ENV)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "airflow-provider-planet-orders"


def _file_for(base_url: str) -> Path:
    # The base URL only (no key): the spec is public and the same for every key.
    return cache_dir() / f"bundles-spec-{hashlib.sha256(base_url.encode()).hexdigest()[:16]}.json"


def live_bundle_spec(
    base_url: str, fetch: Callable[[], Any], warn: Callable[..., None], now: Callable[[], float] = time.time
) -> BundleSpec:
    """The spec for ``base_url``: from memory, the day-old file, ``fetch()``, or the shipped copy."""
    with _lock:
        cached = _memory.get(base_url)
        if cached and now() - cached[0] < MAX_AGE:
            return cached[1]
        path = _file_for(base_url)
        try:
            if now() - path.stat().st_mtime < MAX_AGE:
                spec = BundleSpec.from_document(json.loads(path.read_text("utf-8")))
                _memory[base_url] = (path.stat().st_mtime, spec)
                return spec
        except (OSError, ValueError, BundleSpecError):
            pass  # no file, an old one or a garbled one: fetch
        try:
            document = fetch()
            spec = BundleSpec.from_document(document)
        except (PlanetOrdersError, BundleSpecError) as err:
            warn("Planet's bundle spec could not be fetched (%s); checking with the provider's copy", err)
            spec = BundleSpec.vendored()
            # Not trusted for a day: the next try comes after RETRY_AFTER_FAILURE, not at every check.
            _memory[base_url] = (now() - MAX_AGE + RETRY_AFTER_FAILURE, spec)
            return spec
        _memory[base_url] = (now(), spec)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_suffix(f".{os.getpid()}.part")
            partial.write_text(json.dumps(document), "utf-8")
            partial.replace(path)  # atomic: another process never reads half a file
        except OSError:
            pass  # an unwritable cache only costs a fetch per process
        return spec


def forget() -> None:
    """Drop the in-process cache (tests)."""
    with _lock:
        _memory.clear()
