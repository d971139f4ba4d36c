"""Triggers: asynchronous waits that run in the triggerer."""

from __future__ import annotations
