"""Hooks: connections, sessions and HTTP for Planet's Orders API."""

from __future__ import annotations
