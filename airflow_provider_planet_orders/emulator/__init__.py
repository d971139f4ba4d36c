"""A local stand-in for Planet's Orders API v2, for tests, demos and benchmarks."""

from __future__ import annotations
