"""
The transport-free core of the Planet Orders client.

Everything both hooks share and nothing that does I/O: the API's paths and limits
(:mod:`.api`), request building and argument checks (:mod:`.requests`), response
interpretation (:mod:`.responses`), and the retry and rate-limit policy (:mod:`.policy`).
The synchronous hook drives it with ``requests``, the asynchronous one with ``httpx``, so the two
cannot drift apart.
"""

from __future__ import annotations
