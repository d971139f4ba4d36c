"""Sensors: wait for Planet orders."""

from __future__ import annotations
