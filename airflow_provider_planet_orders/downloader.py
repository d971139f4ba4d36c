"""
Downloading an order's results: parallel streams, verified digests, atomic writes, resume.

This is the engine behind
:class:`~airflow_provider_planet_orders.operators.download.PlanetDownloadOrderOperator`, kept free
of Airflow concepts so that it can be used (and benchmarked) on its own. Bytes come from the sync
hook's :meth:`~airflow_provider_planet_orders.hooks.base.PlanetSyncHook.open_result` (no HTTP
library's objects cross into this module); files go through any ``pathlib``-like object: a local
``Path`` or Airflow's ``ObjectStoragePath`` (fsspec).

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
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from airflow_provider_planet_orders.core.api import CLOUD_TARGETS, SUCCESS_STATES
from airflow_provider_planet_orders.core.policy import RetryPolicy, is_transient
from airflow_provider_planet_orders.exceptions import (
    PlanetApiError,
    PlanetChecksumMismatchError,
    PlanetDownloadRetriesExhaustedError,
    PlanetOrdersError,
    PlanetResultUnavailableError,
)

if TYPE_CHECKING:
    from airflow_provider_planet_orders.hooks.orders import PlanetOrdersHook

_T = TypeVar("_T")

CHECKSUMS = ("auto", "md5", "sha256", "none")
MANIFEST = "manifest.json"
#: Statuses that mean "this link no longer works": fetch the order again for a fresh one.
EXPIRED_LINK_STATUSES = frozenset({401, 403, 404, 410})
#: Times a file's link is refreshed before its refusal counts as final.
MAX_LINK_REFRESHES = 3


#: What the downloader writes to: ``pathlib.Path``, Airflow's ``ObjectStoragePath`` or a
#: ``universal_pathlib`` path (``/``, ``exists``, ``open``, ``stat``, ``unlink``, ``rename``, ``mkdir``).
DestinationPath = Any


@dataclass(frozen=True)
class ResultFile:
    """One file of an order's results, with what the manifest says about it."""

    name: str  # "<order_id>/<item_type>/<file>", as in _links.results
    size: int | None
    digests: Mapping[str, str]


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
    #: Files extracted from the order's zip archives (``unpack_archives``).
    unpacked: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def check_settings(*, checksum: str, concurrency: Any) -> None:
    """Refuse settings no download can run with: the operator checks them when the DAG is parsed."""
    if checksum not in CHECKSUMS:
        raise ValueError(f"checksum must be one of {', '.join(CHECKSUMS)}, got {checksum!r}")
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ValueError(f"concurrency must be an integer >= 1, got {concurrency!r}")


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
        raise PlanetResultUnavailableError(
            f"Planet order {order.get('id')} is {state}: only a finished order (success or partial) "
            "has results to download; wait for it first (PlanetOrderSensor)"
        )
    if order.get("hosting"):
        raise PlanetResultUnavailableError(
            f"Planet order {order.get('id')} is hosted ({', '.join(order['hosting'])}): Planet makes no "
            "download links for hosted orders; read the results from the hosting service"
        )
    delivery = order.get("delivery") or {}
    targets = [t for t in CLOUD_TARGETS if t in delivery]
    if targets:
        where = describe_cloud_target(targets[0], delivery[targets[0]])
        raise PlanetResultUnavailableError(
            f"Planet order {order.get('id')} was delivered to {where}: Planet makes no download links "
            "for orders with cloud delivery; read the results from there"
        )


def describe_cloud_target(target: str, block: Any) -> str:
    """``amazon_s3 bucket 'b', path prefix 'p/'``, without any credential."""
    if not isinstance(block, Mapping):
        return target
    parts = [
        f"{key.replace('_', ' ')} {block[key]!r}"
        for key in ("bucket", "container", "collection", "folder_id", "path_prefix", "ref")
        if block.get(key)
    ]
    return f"{target} ({', '.join(parts)})" if parts else target


class _Tally:
    """
    The counts of one download, kept by its worker threads under one lock.

    It is the only place bytes and files are counted, and it logs progress every ``interval``
    seconds and when a file completes.
    """

    def __init__(self, total_files: int, total_bytes: int, log: Callable[..., None], interval: float = 10.0):
        self.total_files = total_files
        self.total_bytes = total_bytes
        self._log = log
        self._interval = interval
        self._lock = threading.Lock()
        self._started = self._last = time.monotonic()
        #: Named as the fields of :class:`DownloadReport` they end up in.
        self.counts = dict.fromkeys(
            ("bytes", "downloaded", "skipped", "resumed", "retries", "link_refreshes"), 0
        )

    def add(self, what: str, count: int = 1) -> None:
        with self._lock:
            self.counts[what] += count

    def add_bytes(self, count: int) -> None:
        with self._lock:
            self.counts["bytes"] += count
            now = time.monotonic()
            due = now - self._last >= self._interval
            if due:
                self._last = now
        if due:
            self.report()

    def file_done(self, how: str) -> None:
        """``how`` is ``downloaded`` or ``skipped``."""
        self.add(how)
        self.report()

    def report(self) -> None:
        with self._lock:
            files = self.counts["downloaded"] + self.counts["skipped"]
            done = self.counts["bytes"]
        elapsed = max(time.monotonic() - self._started, 1e-9)
        self._log(
            "Downloaded %d/%d files, %s of %s (%s/s)",
            files,
            self.total_files,
            _size(done),
            _size(self.total_bytes),
            _size(done / elapsed),
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

    The downloader holds settings only: each :meth:`download` keeps its own state, so one
    downloader can serve several orders, one after the other or at once.

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
    :param unpack_archives: Extract the zip archives of a zipped order (``delivery.archive_type:
        zip``) into the order's folder, checking each member against the manifest where it lists
        it (and every member's CRC); the archives are kept.
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
        unpack_archives: bool = False,
    ) -> None:
        check_settings(checksum=checksum, concurrency=concurrency)
        self.unpack_archives = unpack_archives
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

    def download(self, order: Mapping[str, Any]) -> DownloadReport:
        """Download the results of ``order`` (as ``get_order`` returned it)."""
        refuse_unfinished_or_undownloadable(order)
        return _Download(self, order).run()

    def __repr__(self) -> str:
        return f"<OrderDownloader destination={self.destination}>"


class _Download:
    """One order's download: its links, its counts, and the work of its threads."""

    def __init__(self, settings: OrderDownloader, order: Mapping[str, Any]) -> None:
        self.s = settings
        self.hook = settings.hook
        self.order_id = str(order["id"])
        self._policy: RetryPolicy = self.hook.settings.retry_policy()
        self._links: dict[str, Mapping[str, Any]] = {}
        self._links_lock = threading.Lock()
        self._take_links(order)
        # Zipped orders list the archive's members in the manifest, but link only the archive.
        self._archived = bool((order.get("delivery") or {}).get("archive_type"))
        self._by_path: dict[str, Any] = {}  # the manifest's entries by path, once read
        self.tally = _Tally(0, 0, settings.log)

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
            self.s.log("Fetching order %s again for fresh download links", self.order_id)
            self._take_links(self.hook.get_order(self.order_id))
            self.tally.add("link_refreshes")
            with self._links_lock:
                link = self._links.get(name)
        if link is None or not link.get("location"):
            raise PlanetResultUnavailableError(
                f"Planet order {self.order_id} lists no download link for {name}"
            )
        if link.get("delivery") not in (None, "success"):
            raise PlanetResultUnavailableError(f"{name} was not delivered (delivery: {link.get('delivery')})")
        return str(link["location"])

    # -- the order --------------------------------------------------------------------------------

    def run(self) -> DownloadReport:
        started = time.monotonic()
        report = DownloadReport(order_id=self.order_id, destination=str(self.s.destination))
        manifest_name = f"{self.order_id}/{MANIFEST}"
        if manifest_name not in self._links:
            raise PlanetResultUnavailableError(
                f"Planet order {self.order_id} lists no {MANIFEST} among its results"
            )
        manifest_bytes, files = self._manifest(manifest_name)
        chosen = [f for f in files if self._wanted(f.name)]
        total = sum(f.size or 0 for f in chosen)
        self.s.log(
            "Order %s: %d result files, %d chosen (%s)", self.order_id, len(files), len(chosen), _size(total)
        )
        self.tally.total_files, self.tally.total_bytes = len(chosen), total
        with ThreadPoolExecutor(max_workers=self.s.concurrency, thread_name_prefix="planet-download") as pool:
            futures = [pool.submit(self._download_file, f) for f in chosen]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            errors = [f.exception() for f in done if f.exception() is not None]
            if errors:
                for future in futures:
                    future.cancel()
                raise errors[0]  # type: ignore[misc]
        report.files = [str(self._target(f.name)) for f in chosen]
        if self.s.unpack_archives:
            for archive in (f for f in chosen if f.name.endswith(".zip")):
                report.unpacked += self._unpack(archive)
        manifest_path = self._target(manifest_name)
        manifest_path.parent.mkdir(parents=True, exist_ok=True)
        with manifest_path.open("wb") as out:
            out.write(manifest_bytes)
        report.manifest = str(manifest_path)
        for what, count in self.tally.counts.items():
            setattr(report, what, count)
        report.seconds = time.monotonic() - started
        return report

    def _manifest(self, name: str) -> tuple[bytes, list[ResultFile]]:
        """The manifest's bytes and the files it describes; fetched again if it arrives garbled."""
        for attempt in range(1, self.s.max_attempts + 1):
            content = self._with_retries(name, lambda location: self.hook.open_result(location).read())
            try:
                return content, self._files(json.loads(content)["files"])
            except (ValueError, KeyError, TypeError):
                self.s.log(
                    "%s of order %s is not a Planet manifest (attempt %d of %d)",
                    MANIFEST,
                    self.order_id,
                    attempt,
                    self.s.max_attempts,
                )
        raise PlanetDownloadRetriesExhaustedError(
            f"{MANIFEST} of order {self.order_id} is not a Planet manifest"
        )

    def _files(self, entries: list[Any]) -> list[ResultFile]:
        by_path = {e["path"]: e for e in entries if isinstance(e, Mapping) and "path" in e}
        self._by_path = by_path
        unlinked = sorted(p for p in by_path if f"{self.order_id}/{p}" not in self._links)
        if unlinked and not self._archived:
            # Planet's SDK fails here too: a file the manifest promises must not be skipped silently.
            listed = ", ".join(unlinked[:5]) + (f" and {len(unlinked) - 5} more" if len(unlinked) > 5 else "")
            raise PlanetResultUnavailableError(
                f"{MANIFEST} of order {self.order_id} lists {len(unlinked)} file(s) "
                f"with no result link: {listed}"
            )
        files = []
        for name in sorted(self._links):
            relative = name.split("/", 1)[1] if "/" in name else name
            if relative == MANIFEST:
                continue
            entry = by_path.get(relative, {})
            files.append(ResultFile(name, entry.get("size"), dict(entry.get("digests") or {})))
        return files

    def _wanted(self, name: str) -> bool:
        return not self.s.include or any(fnmatch.fnmatch(name, pattern) for pattern in self.s.include)

    def _target(self, name: str) -> DestinationPath:
        path = self.s.destination
        for part in name.split("/"):
            if part in ("", ".", ".."):
                raise PlanetResultUnavailableError(
                    f"refusing a result name that leaves the destination: {name!r}"
                )
            path = path / part
        return path

    # -- one file ---------------------------------------------------------------------------------

    def _expected(self, result: ResultFile) -> str | None:
        if self.s.checksum == "none":
            return None
        if self._archived and result.name.endswith(".zip") and not result.digests:
            return None  # an archive the manifest does not list: its members' CRCs verify it
        digest = result.digests.get(self.s.checksum)
        if digest is None:
            raise PlanetResultUnavailableError(
                f"{MANIFEST} has no {self.s.checksum} digest for {result.name}"
            )
        return digest.lower()

    def _hasher(self) -> Any:
        return hashlib.new(self.s.checksum) if self.s.checksum != "none" else None

    def _digest_of(self, path: DestinationPath) -> str:
        hasher = hashlib.new(self.s.checksum)
        with path.open("rb") as source:
            while block := source.read(self.s.chunk_size):
                hasher.update(block)
        return hasher.hexdigest()

    def _with_retries(self, name: str, action: Callable[[str], _T]) -> _T:
        """
        Run ``action(location)`` for result ``name`` until it succeeds.

        Expired links are refreshed (up to three times); transient errors (network, 5xx, 429) are
        waited out with the connection's backoff policy, up to ``max_attempts``; any other error is
        final.
        """
        failures = refreshes = 0
        refresh = False
        while True:
            try:
                location = self._link(name, refresh=refresh)
                refresh = False
                return action(location)
            except PlanetResultUnavailableError:
                raise
            except PlanetOrdersError as err:
                if (
                    isinstance(err, PlanetApiError)
                    and err.status in EXPIRED_LINK_STATUSES
                    and refreshes < MAX_LINK_REFRESHES
                ):
                    refresh = True
                    refreshes += 1
                    continue
                if not is_transient(err):
                    raise PlanetResultUnavailableError(f"{name}: {err}") from err
                if failures + 1 >= self.s.max_attempts:
                    raise PlanetDownloadRetriesExhaustedError(
                        f"{name}: giving up after {failures + 1} attempts: {err}"
                    ) from err
                failures += 1
                self.tally.add("retries")
                pause = self._policy.backoff(failures, getattr(err, "retry_after", None))
                self.s.log(
                    "%s: %s; resuming in %.1f s (attempt %d of %d)",
                    name,
                    err,
                    pause,
                    failures + 1,
                    self.s.max_attempts,
                )
                self.s.sleep(pause)

    def _download_file(self, result: ResultFile) -> None:
        target = self._target(result.name)
        partial = self._target(result.name + ".part")
        expected = self._expected(result)
        if not self.s.overwrite and target.exists() and self._already_there(target, result, expected):
            self.tally.file_done("skipped")
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        actual = None
        for attempt in range(1, self.s.max_attempts + 1):
            hasher = self._with_retries(result.name, lambda location: self._fetch(location, result, partial))
            actual = hasher.hexdigest() if hasher is not None else None
            if expected is None or actual == expected:
                partial.rename(target)
                self.tally.file_done("downloaded")
                return
            partial.unlink()
            self.tally.add("retries")
            self.s.log(
                "%s: %s mismatch (manifest %s, downloaded %s); attempt %d of %d",
                result.name,
                self.s.checksum,
                expected,
                actual,
                attempt,
                self.s.max_attempts,
            )
        raise PlanetChecksumMismatchError(
            f"{result.name}: {self.s.checksum} mismatch after {self.s.max_attempts} attempts: "
            f"manifest says {expected}, downloaded bytes give {actual}"
        )

    def _unpack(self, archive: ResultFile) -> list[str]:
        """Extract one archive next to it, each member checked; the names of the files written."""
        import zipfile

        folder = archive.name.rsplit("/", 1)[0]  # the order's folder: composites land at its top
        written = []
        with self._target(archive.name).open("rb") as raw, zipfile.ZipFile(raw) as zipped:
            for member in zipped.infolist():
                if member.is_dir():
                    continue
                relative = member.filename
                target = self._target(f"{folder}/{relative}")  # refuses ../ and absolute names
                target.parent.mkdir(parents=True, exist_ok=True)
                hasher = self._hasher()
                try:
                    with zipped.open(member) as source, target.open("wb") as out:
                        while chunk := source.read(self.s.chunk_size):
                            out.write(chunk)
                            if hasher is not None:
                                hasher.update(chunk)
                except zipfile.BadZipFile as err:  # a CRC that does not match
                    raise PlanetChecksumMismatchError(f"{archive.name}: member {relative}: {err}") from err
                expected = (self._by_path.get(relative, {}).get("digests") or {}).get(self.s.checksum)
                if expected and hasher is not None and hasher.hexdigest() != expected.lower():
                    target.unlink()
                    raise PlanetChecksumMismatchError(
                        f"{archive.name}: member {relative}: {self.s.checksum} mismatch: manifest says "
                        f"{expected}, the extracted bytes give {hasher.hexdigest()}"
                    )
                written.append(str(target))
        self.s.log("Unpacked %d file(s) from %s", len(written), archive.name)
        return written

    def _already_there(self, target: DestinationPath, result: ResultFile, expected: str | None) -> bool:
        if result.size is not None and target.stat().st_size != result.size:
            return False
        return expected is None or self._digest_of(target) == expected

    def _resume_point(self, partial: DestinationPath, size: int | None) -> tuple[int, Any]:
        """
        Bytes already in ``partial`` and the hasher fed with them, or ``(0, fresh hasher)``.

        A ``.part`` longer than the file cannot be a prefix of it: it is started over.
        """
        hasher = self._hasher()
        if not partial.exists():
            return 0, hasher
        offset = 0
        with partial.open("rb") as source:
            while block := source.read(self.s.chunk_size):
                offset += len(block)
                if hasher is not None:
                    hasher.update(block)
        if size is not None and offset > size:
            return 0, self._hasher()
        return offset, hasher

    def _sink(self, partial: DestinationPath, offset: int) -> tuple[Any, int]:
        """``partial`` opened to continue at ``offset``; object stores cannot append: from 0 then."""
        if offset:
            try:
                return partial.open("ab"), offset
            except (OSError, NotImplementedError, ValueError):
                self.s.log("%s: the destination cannot append; downloading from the start", partial)
        return partial.open("wb"), 0

    def _fetch(self, location: str, result: ResultFile, partial: DestinationPath) -> Any:
        """Stream ``location`` into ``partial``, resuming what it holds; return the hasher of every byte."""
        offset, hasher = self._resume_point(partial, result.size)
        if offset and offset == result.size:
            return hasher
        sink, start = self._sink(partial, offset)
        if start != offset:
            offset, hasher = 0, self._hasher()
        try:
            with self.hook.open_result(location, offset, self.s.chunk_size) as stream:
                if stream.start != offset:
                    # The server ignored the Range: start over rather than append the whole file.
                    sink.close()
                    sink, hasher = partial.open("wb"), self._hasher()
                elif offset:
                    self.tally.add("resumed")
                for chunk in stream.chunks:
                    sink.write(chunk)
                    if hasher is not None:
                        hasher.update(chunk)
                    self.tally.add_bytes(len(chunk))
        finally:
            sink.close()
        return hasher


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
