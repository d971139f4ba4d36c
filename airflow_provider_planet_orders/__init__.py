"""Apache Airflow provider for Planet's Orders API v2."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
