"""
The sdist and the wheel a user installs from carry the Apache-2.0 LICENSE and say so in their metadata.

Both are built once per session, the way ``make dist`` builds them (the wheel from the sdist, with
the virtualenv's pinned hatchling and no network), into a temporary folder.
"""

from __future__ import annotations

import email
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import airflow_provider_planet_orders

REPO = Path(__file__).resolve().parents[2]
LICENSE = (REPO / "LICENSE").read_text()
DIST_NAME = "airflow_provider_planet_orders"
VERSION = airflow_provider_planet_orders.__version__


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_the_repository_license_is_apache_2() -> None:
    assert LICENSE.lstrip().startswith("Apache License\n")
    assert "Version 2.0, January 2004" in LICENSE
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in LICENSE


def test_the_sdist_contains_the_license(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    root = f"{DIST_NAME}-{VERSION}"
    with tarfile.open(sdist) as tar:
        names = set(tar.getnames())
        assert f"{root}/LICENSE" in names, sorted(names)
        license_file = tar.extractfile(f"{root}/LICENSE")
        assert license_file is not None
        assert license_file.read().decode() == LICENSE
        pkg_info = tar.extractfile(f"{root}/PKG-INFO")
        assert pkg_info is not None
        metadata = email.message_from_bytes(pkg_info.read())
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]


def test_the_wheel_contains_the_license(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    info = f"{DIST_NAME}-{VERSION}.dist-info"
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        assert f"{info}/licenses/LICENSE" in names, sorted(names)
        assert whl.read(f"{info}/licenses/LICENSE").decode() == LICENSE
        metadata = email.message_from_bytes(whl.read(f"{info}/METADATA"))
        # The wheel is a usable provider, not only a licensed one: the package and its entry point.
        assert f"{DIST_NAME}/get_provider_info.py" in names
        assert "apache_airflow_provider" in whl.read(f"{info}/entry_points.txt").decode()
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
