"""End-to-end fixtures: one emulator and one throwaway Airflow (SQLite) per module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_planet_orders.emulator import run_emulator
from airflow_provider_planet_orders.emulator.server import EmulatorHandle
from tests.e2e.harness import AirflowSandbox

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def e2e_emulator() -> Iterator[EmulatorHandle]:
    with run_emulator(queued_seconds=1, running_seconds=2, file_size=512 * 1024, seed=3) as handle:
        yield handle


@pytest.fixture(scope="module")
def sandbox(
    e2e_emulator: EmulatorHandle, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AirflowSandbox]:
    root: Path = tmp_path_factory.mktemp("airflow-e2e")
    with AirflowSandbox(root, emulator_url=e2e_emulator.url, api_key=e2e_emulator.api_key) as box:
        box.migrate()
        yield box


def verified_files(order_dir: Path) -> int:
    """Check every file of the order against its manifest; return how many there are."""
    import hashlib

    manifest = json.loads((order_dir / "manifest.json").read_text())
    for entry in manifest["files"]:
        assert (
            hashlib.sha256((order_dir / entry["path"]).read_bytes()).hexdigest() == entry["digests"]["sha256"]
        )
    return len(manifest["files"])
