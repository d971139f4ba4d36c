"""
Downloading an order's results: parallel streams, verified digests, atomic writes, resume.

This is the engine behind
:class:`~airflow_provider_planet_orders.operators.download.PlanetDownloadOrderOperator`, kept free
of Airflow concepts so that it can be used (and benchmarked) on its own. HTTP goes through
:class:`~airflow_provider_planet_orders.hooks.orders.PlanetOrdersHook`; files go through any
``pathlib``-like object: a local ``Path`` or Airflow's ``ObjectStoragePath`` (fsspec).

For each file:

* it is streamed in chunks into ``<name>.part``, hashed while it streams, and renamed to its
  final name only once its digest matches ``manifest.json``; a reader never sees a partial file;
* a file already present with the right digest is skipped; a ``.part`` left by an earlier run is
  resumed with a ``Range`` request where the destination can append;
* a connection broken mid-file, a 5xx or a 429 resumes the file after a backoff (``Retry-After``
  honoured, downloads paced at Planet's download rate limit);
* an expired link (``expires_at`` passed, or a 401/403/404/410) makes it fetch the order again for
  fresh links;
* a digest mismatch downloads the file again, then fails naming the file and both digests.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_planet_orders.core.api import CLOUD_TARGETS, SUCCESS_STATES
from airflow_provider_planet_orders.core.policy import RetryPolicy, is_transient
from airflow_provider_planet_orders.exceptions import (
    PlanetApiError,
    PlanetConnectionError,
    PlanetOrdersError,
)

if TYPE_CHECKING:
    from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook

_T = TypeVar("_T")

CHECKSUMS = ("auto", "md5", "sha256", "none")
MANIFEST = "manifest.json"
#: Statuses that mean "this link no longer works": fetch the order again for a fresh one.
EXPIRED_LINK_STATUSES = frozenset({401, 403, 404, 410})


#: What the downloader writes to: ``pathlib.Path``, Airflow's ``ObjectStoragePath`` or a
#: ``universal_pathlib`` path (``/``, ``exists``, ``open``, ``stat``, ``unlink``, ``rename``, ``mkdir``).
DestinationPath = Any


class DownloadError(PlanetOrdersError):
    """A result file could not be downloaded and verified."""

    #: Whether a later attempt (an Airflow retry) may succeed: true for network trouble that
    #: outlasted the retries, false for an unfinished order or a cloud delivery.
    retryable = False


class DownloadRetriesExhaustedError(DownloadError):
    """A file kept failing for transient reasons (network, 5xx, 429) through every attempt."""

    retryable = True


class ChecksumMismatchError(DownloadError):
    """A downloaded file's digest differs from the one in ``manifest.json``."""


@dataclass(frozen=True)
class ResultFile:
    """One file of an order's results, with what the manifest says about it."""

    name: str  # "<order_id>/<item_type>/<file>", as in _links.results
    size: int | None
    digests: Mapping[str, str]

    @property
    def relative(self) -> str:
        """Path relative to the manifest's folder, as the manifest writes it."""
        return self.name.split("/", 1)[1] if "/" in self.name else self.name


@dataclass
class DownloadReport:
    """What a download did, for logs and XCom."""

    order_id: str
    destination: str
    files: list[str] = field(default_factory=list)
    manifest: str | None = None
    downloaded: int = 0
    skipped: int = 0
    resumed: int = 0
    retries: int = 0
    link_refreshes: int = 0
    bytes: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@functools.cache
def fastest_checksum() -> str:
    """
    ``"md5"`` or ``"sha256"``, whichever hashes faster on this machine (measured once, 8 MiB each).

    Both digests are in every manifest. CPUs with SHA extensions (most x86 and ARM servers since
    2017) hash sha256 twice as fast as md5; older ones the other way round. Verifying costs a core
    per ~1 GB/s of download, so the faster one is what keeps downloads near the network's speed.
    """
    block = b"\x5a" * (8 << 20)
    timings = {}
    for name in ("sha256", "md5"):
        started = time.perf_counter()
        hashlib.new(name, block)
        timings[name] = time.perf_counter() - started
    return min(timings, key=timings.__getitem__)


def refuse_unfinished_or_undownloadable(order: Mapping[str, Any]) -> None:
    """Raise unless ``order`` finished with files to download; say where its results went."""
    state = order.get("state")
    if state not in SUCCESS_STATES:
        raise DownloadError(
            f"Planet order {order.get('id')} is {state}: only a finished order (success or partial) "
            "has results to download; wait for it first (PlanetOrderSensor)"
        )
    if order.get("hosting"):
        raise DownloadError(
            f"Planet order {order.get('id')} is hosted ({', '.join(order['hosting'])}): Planet makes no "
            "download links for hosted orders; read the results from the hosting service"
        )
    delivery = order.get("delivery") or {}
    targets = [t for t in CLOUD_TARGETS if t in delivery]
    if targets:
        where = describe_cloud_target(targets[0], delivery[targets[0]])
        raise DownloadError(
            f"Planet order {order.get('id')} was delivered to {where}: Planet makes no download links "
            "for orders with cloud delivery; read the results from there"
        )


def describe_cloud_target(target: str, block: Any) -> str:
    """``amazon_s3 bucket 'b', path prefix 'p/'``, without any credential."""
    if not isinstance(block, Mapping):
        return target
    parts = [
        f"{key.replace('_', ' ')} {block[key]!r}"
        for key in ("bucket", "container", "collection", "folder_id", "path_prefix")
        if block.get(key)
    ]
    return f"{target} ({', '.join(parts)})" if parts else target


class _Progress:
    """Thread-safe progress, logged every ``interval`` seconds and when a file completes."""

    def __init__(self, total_files: int, total_bytes: int, log: Callable[..., None], interval: float = 10.0):
        self.total_files, self.total_bytes, self._log, self._interval = (
            total_files,
            total_bytes,
            log,
            interval,
        )
        self.files = 0
        self.bytes = 0
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last = self._started

    def add(self, count: int) -> None:
        with self._lock:
            self.bytes += count
            now = time.monotonic()
            due = now - self._last >= self._interval
            if due:
                self._last = now
        if due:
            self.report()

    def file_done(self) -> None:
        with self._lock:
            self.files += 1
        self.report()

    def report(self) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-9)
        self._log(
            "Downloaded %d/%d files, %s of %s (%s/s)",
            self.files,
            self.total_files,
            _size(self.bytes),
            _size(self.total_bytes),
            _size(self.bytes / elapsed),
        )


def _size(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.1f} {unit}" if unit != "B" else f"{count:.0f} B"
        count /= 1000
    return f"{count:.1f} GB"  # pragma: no cover


class OrderDownloader:
    """
    Download (some of) an order's results into ``destination/<order_id>/...``.

    :param hook: A sync hook; its connection gives the key, the pacing and the retry policy.
    :param destination: A local ``Path`` or an ``ObjectStoragePath``.
    :param include: Glob patterns on result names (``"*/PSScene/*_AnalyticMS*.tif"``); all if empty.
    :param overwrite: Download again even files already present with the right digest.
    :param concurrency: Files streamed at once.
    :param checksum: ``"auto"`` (the faster of md5 and sha256 here), ``"md5"``, ``"sha256"`` or
        ``"none"``.
    :param chunk_size: Bytes read and written at a time.
    :param max_attempts: Attempts per file (network errors, 5xx, 429, digest mismatches).
    :param log: ``logging``-style callable for progress.
    """

    def __init__(
        self,
        hook: PlanetOrdersHook,
        destination: DestinationPath,
        *,
        include: Sequence[str] = (),
        overwrite: bool = False,
        concurrency: int = 4,
        checksum: str = "auto",
        chunk_size: int = 1 << 20,
        max_attempts: int = 8,
        log: Callable[..., None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if checksum not in CHECKSUMS:
            raise ValueError(f"checksum must be one of {', '.join(CHECKSUMS)}, got {checksum!r}")
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.hook = hook
        self.destination = destination
        self.include = list(include)
        self.overwrite = overwrite
        self.concurrency = concurrency
        self.checksum = fastest_checksum() if checksum == "auto" else checksum
        self.chunk_size = chunk_size
        self.max_attempts = max_attempts
        self.log = log or (lambda *args: None)
        self.sleep = sleep
        self._policy: RetryPolicy = hook.settings.retry_policy()
        self._links: dict[str, Mapping[str, Any]] = {}
        self._links_lock = threading.Lock()
        self._order_id = ""
        self._report: DownloadReport | None = None

    # -- links ------------------------------------------------------------------------------------

    def _take_links(self, order: Mapping[str, Any]) -> None:
        results = (order.get("_links") or {}).get("results") or []
        links = {r["name"]: r for r in results if isinstance(r, Mapping) and r.get("name")}
        with self._links_lock:
            self._links = links

    def _link(self, name: str, *, refresh: bool = False) -> str:
        with self._links_lock:
            link = self._links.get(name)
        if refresh or link is None or _expired(link):
            self.log("Fetching order %s again for fresh download links", self._order_id)
            self._take_links(self.hook.get_order(self._order_id))
            if self._report is not None:
                self._report.link_refreshes += 1
            with self._links_lock:
                link = self._links.get(name)
        if link is None or not link.get("location"):
            raise DownloadError(f"Planet order {self._order_id} lists no download link for {name}")
        if link.get("delivery") not in (None, "success"):
            raise DownloadError(f"{name} was not delivered (delivery: {link.get('delivery')})")
        return str(link["location"])

    # -- the order --------------------------------------------------------------------------------

    def download(self, order: Mapping[str, Any]) -> DownloadReport:
        """Download the results of ``order`` (as ``get_order`` returned it)."""
        refuse_unfinished_or_undownloadable(order)
        started = time.monotonic()
        self._order_id = str(order["id"])
        self._take_links(order)
        report = self._report = DownloadReport(order_id=self._order_id, destination=str(self.destination))
        manifest_name = f"{self._order_id}/{MANIFEST}"
        if manifest_name not in self._links:
            raise DownloadError(f"Planet order {self._order_id} lists no {MANIFEST} among its results")
        manifest_bytes, files = self._manifest(manifest_name)
        chosen = [f for f in files if self._wanted(f.name)]
        self.log(
            "Order %s: %d result files, %d chosen (%s)",
            self._order_id,
            len(files),
            len(chosen),
            _size(sum(f.size or 0 for f in chosen)),
        )
        progress = _Progress(len(chosen), sum(f.size or 0 for f in chosen), self.log)
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="planet-download") as pool:
            futures = {pool.submit(self._download_file, f, progress): f for f in chosen}
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            errors = [f.exception() for f in done if f.exception() is not None]
            if errors:
                for future in futures:
                    future.cancel()
                raise errors[0]  # type: ignore[misc]
            report.files = [str(self._target(f.name)) for f in chosen]
        manifest_path = self._target(manifest_name)
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        with manifest_path.open("wb") as out:
            out.write(manifest_bytes)
        report.manifest = str(manifest_path)
        report.seconds = time.monotonic() - started
        progress.report()
        return report

    def _manifest(self, name: str) -> tuple[bytes, list[ResultFile]]:
        """The manifest's bytes and the files it describes; fetched again if it arrives garbled."""
        for attempt in range(1, self.max_attempts + 1):
            content = self._with_retries(name, self._read)
            try:
                return content, self._files(json.loads(content)["files"])
            except (ValueError, KeyError, TypeError):
                self.log(
                    "%s of order %s is not a Planet manifest (attempt %d of %d)",
                    MANIFEST,
                    self._order_id,
                    attempt,
                    self.max_attempts,
                )
        raise DownloadRetriesExhaustedError(f"{MANIFEST} of order {self._order_id} is not a Planet manifest")

    def _files(self, entries: list[Any]) -> list[ResultFile]:
        by_path = {e["path"]: e for e in entries if isinstance(e, Mapping) and "path" in e}
        files = []
        for name in sorted(self._links):
            relative = name.split("/", 1)[1] if "/" in name else name
            if relative == MANIFEST:
                continue
            entry = by_path.get(relative, {})
            files.append(ResultFile(name, entry.get("size"), dict(entry.get("digests") or {})))
        return files

    def _wanted(self, name: str) -> bool:
        return not self.include or any(fnmatch.fnmatch(name, pattern) for pattern in self.include)

    def _target(self, name: str) -> DestinationPath:
        path = self.destination
        for part in name.split("/"):
            if part in ("", ".", ".."):
                raise DownloadError(f"refusing a result name that leaves the destination: {name!r}")
            path = path / part
        return path

    # -- one file ---------------------------------------------------------------------------------

    def _expected(self, result: ResultFile) -> str | None:
        if self.checksum == "none":
            return None
        digest = result.digests.get(self.checksum)
        if digest is None:
            raise DownloadError(f"{MANIFEST} has no {self.checksum} digest for {result.name}")
        return digest.lower()

    def _digest_of(self, path: DestinationPath) -> str:
        hasher = hashlib.new(self.checksum)
        with path.open("rb") as source:
            while block := source.read(self.chunk_size):
                hasher.update(block)
        return hasher.hexdigest()

    def _with_retries(self, name: str, action: Callable[[str], _T]) -> _T:
        """
        Run ``action(location)`` for result ``name`` until it succeeds.

        Expired links are refreshed (up to three times); network errors, 5xx and 429 are waited
        out with the connection's backoff policy, up to ``max_attempts``.
        """
        assert self._report is not None
        failures = refreshes = 0
        refresh = False
        while True:
            try:
                location = self._link(name, refresh=refresh)
                refresh = False
                return action(location)
            except PlanetOrdersError as err:
                if isinstance(err, PlanetApiError) and err.status in EXPIRED_LINK_STATUSES and refreshes < 3:
                    refresh = True
                    refreshes += 1
                    continue
                if not is_transient(err):
                    raise DownloadError(f"{name}: {err}") from err
                if failures + 1 >= self.max_attempts:
                    raise DownloadRetriesExhaustedError(
                        f"{name}: giving up after {failures + 1} attempts: {err}"
                    ) from err
                failures += 1
                self._report.retries += 1
                pause = self._policy.backoff(failures, getattr(err, "retry_after", None))
                self.log(
                    "%s: %s; resuming in %.1f s (attempt %d of %d)",
                    name,
                    err,
                    pause,
                    failures + 1,
                    self.max_attempts,
                )
                self.sleep(pause)

    def _read(self, location: str) -> bytes:
        return b"".join(self.hook.iter_download(self.hook.open_download(location), self.chunk_size))

    def _download_file(self, result: ResultFile, progress: _Progress) -> None:
        assert self._report is not None
        target = self._target(result.name)
        partial = self._target(result.name + ".part")
        expected = self._expected(result)
        if not self.overwrite and target.exists() and self._already_there(target, result, expected):
            self._report.skipped += 1
            progress.file_done()
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, self.max_attempts + 1):
            hasher = self._with_retries(
                result.name, lambda location: self._fetch(location, result, partial, progress)
            )
            actual = hasher.hexdigest() if hasher is not None else None
            if expected is None or actual == expected:
                partial.rename(target)
                self._report.downloaded += 1
                progress.file_done()
                return
            partial.unlink()
            self._report.retries += 1
            self.log(
                "%s: %s mismatch (manifest %s, downloaded %s); attempt %d of %d",
                result.name,
                self.checksum,
                expected,
                actual,
                attempt,
                self.max_attempts,
            )
        raise ChecksumMismatchError(
            f"{result.name}: {self.checksum} mismatch after {self.max_attempts} attempts: "
            f"manifest says {expected}, downloaded bytes give {actual}"
        )

    def _already_there(self, target: DestinationPath, result: ResultFile, expected: str | None) -> bool:
        if result.size is not None and target.stat().st_size != result.size:
            return False
        return expected is None or self._digest_of(target) == expected

    def _resume_point(self, partial: DestinationPath) -> tuple[int, Any]:
        """Bytes already in ``partial`` (hashed again to continue the digest), or a fresh start."""
        hasher = hashlib.new(self.checksum) if self.checksum != "none" else None
        if not partial.exists():
            return 0, hasher
        offset = 0
        with partial.open("rb") as source:
            while block := source.read(self.chunk_size):
                offset += len(block)
                if hasher is not None:
                    hasher.update(block)
        return offset, hasher

    def _fetch(self, location: str, result: ResultFile, partial: DestinationPath, progress: _Progress) -> Any:
        """Stream ``location`` into ``partial``, resuming what it holds; return the hasher of every byte."""
        assert self._report is not None
        offset, hasher = self._resume_point(partial)
        if result.size is not None and offset >= result.size:
            if offset > result.size:
                partial.unlink()
                raise PlanetConnectionError(
                    f"{result.name}: partial file longer than the file", request_sent=True
                )
            return hasher
        response = self.hook.open_download(location, offset)
        if offset and response.status_code != 206:
            # The server ignored the Range: start over rather than append the whole file again.
            offset = 0
            if hasher is not None:
                hasher = hashlib.new(self.checksum)
        elif offset:
            self._report.resumed += 1
        mode = "ab" if offset else "wb"
        try:
            sink = partial.open(mode)
        except (OSError, NotImplementedError, ValueError):
            # Object stores cannot append: download the file from its start.
            response.close()
            partial.unlink()
            raise PlanetConnectionError(
                f"{result.name}: cannot append here; restarting", request_sent=False
            ) from None
        with sink:
            for chunk in self.hook.iter_download(response, self.chunk_size):
                sink.write(chunk)
                if hasher is not None:
                    hasher.update(chunk)
                self._report.bytes += len(chunk)
                progress.add(len(chunk))
        return hasher

    def __repr__(self) -> str:
        return f"<OrderDownloader order={self._order_id or '?'} destination={self.destination}>"


def _expired(link: Mapping[str, Any], margin: float = 5.0) -> bool:
    value = link.get("expires_at")
    if not value:
        return False
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return (when - datetime.now(timezone.utc)).total_seconds() < margin


def select(names: Iterable[str], include: Sequence[str]) -> list[str]:
    """The names a download with ``include`` globs would take (for docs and tests)."""
    return [n for n in names if not include or any(fnmatch.fnmatch(n, p) for p in include)]
