"""
Result files: deterministic content, digests, the manifest, and signed download links.

Content is generated, never stored: a file of ``size`` bytes is a shared pseudo-random stream
(1 MiB blocks, each stamped with its index so that no two blocks are equal) whose last
:data:`TAIL` bytes are replaced by the file's own identity. Every file of one size therefore shares
its prefix, which lets the emulator hash that prefix once per size and finish each file's md5 and
sha256 from a copy of the hash state: a manifest for twenty 50 MB files costs one 50 MB hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

#: Size of a generated block, and of the chunks a download is sent in.
BLOCK_SIZE = 1024 * 1024
#: Bytes at the end of each file that carry its identity.
TAIL = 64
_STAMP = 8
_STREAM_SEED = b"planet-orders-emulator/content/v1"


@lru_cache(maxsize=1)
def _base_block() -> bytes:
    return random.Random(_STREAM_SEED).randbytes(BLOCK_SIZE)


def _block(index: int) -> bytes:
    """Block ``index`` of the shared stream: the base block, stamped with its index."""
    return index.to_bytes(_STAMP, "big") + _base_block()[_STAMP:]


def _stream(start: int, end: int) -> Iterator[tuple[int, bytes]]:
    """Bytes ``[start, end)`` of the shared stream, as ``(position, chunk)`` cut at block edges."""
    position = start
    while position < end:
        index, offset = divmod(position, BLOCK_SIZE)
        stop = min(end, (index + 1) * BLOCK_SIZE)
        yield position, _block(index)[offset : offset + (stop - position)]
        position = stop


@dataclass(frozen=True)
class FileSpec:
    """One result file: where it sits in the order, and how to generate its bytes."""

    name: str  # "<order_id>/<folder>/<file>", as in _links.results
    size: int
    media_type: str
    annotations: dict[str, str] = field(default_factory=dict, compare=False)
    content: bytes | None = field(default=None, compare=False)  # small files given whole (manifest)

    @property
    def filename(self) -> str:
        return self.name.rsplit("/", 1)[-1]

    @property
    def relative_path(self) -> str:
        """Path relative to the order's folder, as the manifest writes it."""
        return self.name.split("/", 1)[1]

    def tail(self) -> bytes:
        digest = hashlib.sha512(self.name.encode("utf-8")).digest()
        return digest[: min(TAIL, self.size)]

    def chunks(self, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """Yield bytes ``[start, end)`` in chunks of at most :data:`BLOCK_SIZE`."""
        end = self.size if end is None else min(end, self.size)
        if self.content is not None:
            for offset in range(start, end, BLOCK_SIZE):
                yield self.content[offset : min(end, offset + BLOCK_SIZE)]
            return
        tail_start = self.size - min(TAIL, self.size)
        for position, chunk in _stream(start, end):
            if position + len(chunk) > tail_start:
                yield self._with_tail(chunk, position, tail_start)
            else:
                yield chunk

    def _with_tail(self, chunk: bytes, position: int, tail_start: int) -> bytes:
        tail = self.tail()
        buf = bytearray(chunk)
        first = max(position, tail_start)
        buf[first - position :] = tail[
            first - tail_start : first - tail_start + len(buf) - (first - position)
        ]
        return bytes(buf)

    def read(self, start: int = 0, end: int | None = None) -> bytes:
        """The bytes at once; for tests and small files only."""
        return b"".join(self.chunks(start, end))


class _PrefixHashes:
    """md5 and sha256 states after the shared prefix, computed once per prefix length."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}
        self._states: dict[int, tuple[Any, Any]] = {}

    def get(self, length: int) -> tuple[Any, Any]:
        with self._lock:
            if length in self._states:
                return self._states[length]
            lock = self._locks.setdefault(length, threading.Lock())
        with lock:  # one thread hashes a length; the others wait for it
            with self._lock:
                if length in self._states:
                    return self._states[length]
            md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
            for _, chunk in _stream(0, length):
                md5.update(chunk)
                sha256.update(chunk)
            with self._lock:
                self._states[length] = (md5, sha256)
            return md5, sha256


_PREFIXES = _PrefixHashes()


def digests(spec: FileSpec) -> dict[str, str]:
    """``{"md5", "sha256"}`` of a file's bytes, without holding the file in memory."""
    if spec.content is not None:
        return {
            "md5": hashlib.md5(spec.content, usedforsecurity=False).hexdigest(),
            "sha256": hashlib.sha256(spec.content).hexdigest(),
        }
    tail = spec.tail()
    md5, sha256 = (h.copy() for h in _PREFIXES.get(spec.size - len(tail)))
    md5.update(tail)
    sha256.update(tail)
    return {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()}


def manifest(order_id: str, files: list[FileSpec]) -> FileSpec:
    """The order's ``manifest.json``: every other file with its digests, size and annotations."""
    body = {
        "name": "",
        "files": [
            {
                "path": spec.relative_path,
                "digests": digests(spec),
                "size": spec.size,
                "media_type": spec.media_type,
                "annotations": spec.annotations,
            }
            for spec in files
        ],
    }
    content = json.dumps(body, indent=2).encode("utf-8")
    return FileSpec(f"{order_id}/manifest.json", len(content), "application/json", content=content)


# --------------------------------------------------------------------------------------------
# Signed links
# --------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_JWT_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


class InvalidToken(ValueError):
    """A download token that is malformed or not signed by this emulator."""


@dataclass(frozen=True)
class LinkClaims:
    order_id: str
    index: int
    expires: float


class LinkSigner:
    """
    Signs download tokens as HS256 JWTs, the form Planet's download links take.

    The token is the credential: whoever holds an unexpired link can download the file, without
    an API key, as with Planet's signed links.
    """

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _signature(self, signing_input: str) -> str:
        return _b64(hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest())

    def sign(self, order_id: str, index: int, expires: float) -> str:
        payload = json.dumps({"sub": order_id, "idx": index, "exp": expires}, separators=(",", ":"))
        signing_input = f"{_JWT_HEADER}.{_b64(payload.encode())}"
        return f"{signing_input}.{self._signature(signing_input)}"

    def verify(self, token: str) -> LinkClaims:
        """Check the signature and decode the claims; expiry is the caller's to check."""
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidToken("not a token")
        signing_input = f"{parts[0]}.{parts[1]}"
        if not hmac.compare_digest(self._signature(signing_input), parts[2]):
            raise InvalidToken("bad signature")
        try:
            claims = json.loads(_unb64(parts[1]))
            return LinkClaims(str(claims["sub"]), int(claims["idx"]), float(claims["exp"]))
        except (ValueError, KeyError, TypeError):
            raise InvalidToken("unreadable claims") from None
