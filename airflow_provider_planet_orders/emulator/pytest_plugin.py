"""Pytest fixtures that serve the Orders API emulator to users' own tests."""

from __future__ import annotations
