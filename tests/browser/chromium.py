"""
Debian's Chromium for the browser tests: found, or installed with apt when missing.

Never a browser that Playwright downloads (``playwright install``): Playwright drives this one
through ``executable_path``. When Chromium is missing and cannot be installed (not root and no
password-less sudo, or apt failing), the tests fail with what to do, rather than skip: a skipped
browser test would hide that the UI was never checked.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

#: Where Debian's ``chromium`` package puts its launcher.
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")

#: Chromium on a machine with no network but the package registries, as root, with no screen:
#: no sandbox (root), no GPU, and none of the background connections to Google's services, which
#: a closed network refuses, many at a time.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]


class ChromiumUnavailable(RuntimeError):
    pass


def find_chromium() -> Path | None:
    """``$CHROMIUM`` if set, else Debian's /usr/bin/chromium, else ``chromium`` on PATH."""
    if configured := os.environ.get("CHROMIUM"):
        return Path(configured)
    if DEBIAN_CHROMIUM.exists():
        return DEBIAN_CHROMIUM
    found = shutil.which("chromium")
    return Path(found) if found else None


def _apt_prefix() -> list[str]:
    if os.geteuid() == 0:
        return []
    sudo = shutil.which("sudo")
    if sudo and subprocess.run([sudo, "-n", "true"], capture_output=True, check=False).returncode == 0:
        return [sudo, "-n"]
    raise ChromiumUnavailable(
        "Chromium is not installed and this user can neither run apt-get (not root) nor sudo "
        "without a password: install it with `sudo apt-get install -y chromium`, or point "
        "$CHROMIUM at a Chromium binary"
    )


def _apt(prefix: list[str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        [*prefix, "apt-get", *args], capture_output=True, text=True, env=env, timeout=900, check=False
    )


def ensure_chromium() -> Path:
    """The Chromium binary, installing Debian's package first when there is none."""
    found = find_chromium()
    if found is not None:
        if not found.exists():
            raise ChromiumUnavailable(f"$CHROMIUM names {found}, which does not exist")
        return found
    prefix = _apt_prefix()
    install = _apt(prefix, "install", "-y", "--no-install-recommends", "chromium")
    if install.returncode != 0:
        # A fresh machine may have no package lists yet: fetch them once and try again.
        update = _apt(prefix, "update")
        install = _apt(prefix, "install", "-y", "--no-install-recommends", "chromium")
        if install.returncode != 0:
            raise ChromiumUnavailable(
                "`apt-get install -y chromium` failed:\n"
                + (update.stdout + update.stderr)[-2000:]
                + (install.stdout + install.stderr)[-3000:]
            )
    if not DEBIAN_CHROMIUM.exists():
        raise ChromiumUnavailable(f"apt installed chromium, but {DEBIAN_CHROMIUM} is not there")
    return DEBIAN_CHROMIUM
