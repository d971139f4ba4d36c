"""Operators: create, cancel, list and download Planet orders."""

from __future__ import annotations
