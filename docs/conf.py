"""Sphinx configuration: Markdown pages (MyST), API reference from docstrings."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

# Importing the package imports Airflow: keep its state out of the user's home.
os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="planet-orders-docs-"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from airflow_provider_planet_orders import __version__

project = "airflow-provider-planet-orders"
author = "airflow-provider-planet-orders maintainers"
copyright = "2026, airflow-provider-planet-orders maintainers"
release = version = __version__

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "README.md"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

html_theme = "furo"
html_title = f"Planet Orders provider {release}"
