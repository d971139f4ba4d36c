"""
``make chaos``: many runs of the recurring-pull DAG against an emulator with every fault on.

Every fault kind at once (errors, dropped connections, "commit then drop" creates, downloads
dropped mid-file and corrupted, added latency, Planet's rate limits). It reports runs succeeded,
orders created against orders intended (from the emulator's own count), files verified against
files expected (hashed again here, against each order's manifest), retries per run, and wall
time; and writes them to the "Measured reliability" section of ``docs/reliability.md``.

``python -m tests.reliability.chaos --runs 50 --write-docs`` is what ``make chaos`` runs; the
end-to-end suite runs a short version.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from airflow_provider_planet_orders.emulator import run_emulator
from tests.e2e.harness import REPO, AirflowSandbox

DAG_ID = "example_planet_recurring_pull"
FILES_PER_RUN = 2  # the example DAG's default item ids

#: Every fault kind on at once, at the rates the reliability issue names.
FAULTS: dict[str, float] = {
    "error_rate": 0.2,
    "drop_rate": 0.05,
    "create_commit_drop_rate": 0.2,
    "download_drop_rate": 0.2,
    "download_corrupt_rate": 0.1,
    "latency_ms": 50.0,
}

#: The example DAG retries its tasks twice (a retried create re-attaches to its order instead of
#: ordering again); here 1 s apart instead of a minute.
AIRFLOW_RETRIES = {"PLANET_ORDERS_RETRY_DELAY": "1"}

DOCS_PAGE = REPO / "docs" / "reliability.md"
SECTION = "## Measured reliability"


@dataclass
class RunResult:
    ok: bool
    log: Path
    order_ids: list[str]
    hook_retries: int
    download_retries: int
    task_retries: int
    seconds: float


@dataclass
class ChaosReport:
    runs: list[RunResult] = field(default_factory=list)
    orders_created: int = 0
    files_expected: int = 0
    files_verified: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    rate_limited: int = 0
    seconds: float = 0.0
    leaked: list[str] = field(default_factory=list)

    @property
    def succeeded(self) -> int:
        return sum(r.ok for r in self.runs)

    def targets(self) -> list[tuple[str, str, bool]]:
        total = len(self.runs)
        return [
            ("every run succeeds", f"{self.succeeded}/{total}", self.succeeded == total),
            ("orders created equals runs", f"{self.orders_created}/{total}", self.orders_created == total),
            (
                "every file verified",
                f"{self.files_verified}/{self.files_expected}",
                self.files_verified == self.files_expected,
            ),
            ("no secret in logs or the database", f"{len(self.leaked)} hits", not self.leaked),
        ]


def _count(pattern: str, text: str) -> int:
    return len(re.findall(pattern, text))


def _one_run(sandbox: AirflowSandbox) -> RunResult:
    started = time.monotonic()
    result = sandbox.dags_test(DAG_ID, timeout=900)
    output = result.output
    created = re.findall(r"Created Planet order ([0-9a-f-]{36})", output)
    reattached = re.findall(r"Re-attaching to order ([0-9a-f-]{36})", output)
    return RunResult(
        ok=result.returncode == 0 and "DagRun Finished" in output and "state=success" in output,
        log=result.log,
        order_ids=list(dict.fromkeys(created + reattached)),
        hook_retries=_count(r"; retry \d+ of \d+ in", output),
        download_retries=_count(r"resuming in|mismatch \(manifest", output),
        task_retries=len(
            {m for m in re.findall(r"task_id='(\w+)'.{0,200}?try_number=(\d+)", output) if int(m[1]) > 1}
        ),
        seconds=time.monotonic() - started,
    )


def _verify(data: Path, order_id: str) -> int:
    """Files of one order that match its manifest, hashed again here."""
    order_dirs = list(data.glob(f"*/{order_id}"))
    if not order_dirs:
        return 0
    manifest = json.loads((order_dirs[0] / "manifest.json").read_text())
    verified = 0
    for entry in manifest["files"]:
        path = order_dirs[0] / entry["path"]
        if path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == entry["digests"]["sha256"]:
            verified += 1
    return verified


def _scan_for_secrets(roots: list[Path], secrets: dict[str, str]) -> list[str]:
    hits = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and (path.suffix in (".log", ".db") or ".log" in path.name):
                content = path.read_bytes()
                hits += [
                    f"{name} in {path}" for name, secret in secrets.items() if secret.encode() in content
                ]
    return hits


def run_chaos(runs: int, workers: int = 2, root: Path | None = None) -> ChaosReport:
    """Run ``runs`` DAG runs, ``workers`` at a time (one throwaway Airflow each), under every fault."""
    import base64

    root = root or Path(tempfile.mkdtemp(prefix="planet-orders-chaos-"))
    report = ChaosReport()
    started = time.monotonic()
    with run_emulator(
        queued_seconds=2, running_seconds=3, file_size=256 * 1024, seed=2026, **FAULTS
    ) as emulator:
        sandboxes = [
            AirflowSandbox(
                root / f"worker-{i}", emulator_url=emulator.url, api_key=emulator.api_key, env=AIRFLOW_RETRIES
            )
            for i in range(workers)
        ]
        for sandbox in sandboxes:
            sandbox.migrate()

        def work(index: int) -> list[RunResult]:
            sandbox = sandboxes[index]
            return [_one_run(sandbox) for _ in range(index, runs, workers)]

        with ThreadPoolExecutor(max_workers=workers) as pool:
            for results in pool.map(work, range(workers)):
                report.runs += results
        stats = emulator.stats()
        secrets = {
            "API key": emulator.api_key,
            "Basic header": base64.b64encode(f"{emulator.api_key}:".encode()).decode(),
        }
    report.seconds = time.monotonic() - started
    report.orders_created = stats["orders_created"]["total"]
    report.faults_injected = {k: v for k, v in stats["faults"].items() if v}
    report.requests = sum(sum(by_status.values()) for by_status in stats["requests"].values())
    report.rate_limited = sum(by_status.get("429", 0) for by_status in stats["requests"].values())
    report.files_expected = FILES_PER_RUN * runs
    for run in report.runs:
        verified = sum(_verify(s.data, order_id) for s in sandboxes for order_id in run.order_ids)
        report.files_verified += min(verified, FILES_PER_RUN)
    report.leaked = _scan_for_secrets([s.logs for s in sandboxes] + [s.home for s in sandboxes], secrets)
    return report


def render(report: ChaosReport) -> str:
    total = len(report.runs)
    hook = sum(r.hook_retries for r in report.runs)
    downloads = sum(r.download_retries for r in report.runs)
    lines = [
        f"Measured on {datetime.now(timezone.utc):%Y-%m-%d} by `make chaos` ({total} runs of `{DAG_ID}` "
        f"with `airflow dags test`, two at a time, against the emulator), on {platform.machine()} "
        f"Python {platform.python_version()}.",
        "",
        "Faults, all at once: "
        + ", ".join(f"`--{k.replace('_', '-')}` {v:g}" for k, v in FAULTS.items())
        + ", Planet's rate limits on. Airflow task retries: the example DAG's 2, 1 s apart.",
        "",
        "| Target | Measured | Met |",
        "| --- | --- | --- |",
        *[f"| {name} | {value} | {'yes' if met else '**no**'} |" for name, value, met in report.targets()],
        "",
        "| Figure | Value |",
        "| --- | --- |",
        f"| Runs succeeded | {report.succeeded} of {total} |",
        f"| Orders created (emulator's count) / intended | {report.orders_created} / {total} |",
        f"| Files verified (hashed again) / expected | {report.files_verified} / {report.files_expected} |",
        f"| API retries per run (hook) | {hook / max(total, 1):.1f} |",
        f"| File retries per run (drops, corruption) | {downloads / max(total, 1):.1f} |",
        f"| Airflow task retries per run | {sum(r.task_retries for r in report.runs) / max(total, 1):.2f} |",
        f"| Answers 429 (injected errors included) | {report.rate_limited} of {report.requests} requests |",
        "| Faults injected | "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(report.faults_injected.items()))
        + " |",
        f"| Wall time | {report.seconds:.0f} s ({report.seconds / max(total, 1):.1f} s per run) |",
    ]
    return "\n".join(lines) + "\n"


def write_docs(text: str, page: Path = DOCS_PAGE) -> None:
    """Replace the body of the "Measured reliability" section, leaving the rest of the page."""
    content = page.read_text() if page.exists() else f"# Reliability\n\n{SECTION}\n"
    if SECTION not in content:
        content = content.rstrip("\n") + f"\n\n{SECTION}\n"
    head, _, tail = content.partition(SECTION)
    following = re.search(r"^## ", tail[1:], flags=re.MULTILINE)
    rest = tail[1 + following.start() :] if following else ""
    page.write_text(f"{head}{SECTION}\n\n{text}\n{rest}".rstrip("\n") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write-docs", action="store_true", help=f"update {DOCS_PAGE.relative_to(REPO)}")
    args = parser.parse_args(argv)
    print(f"Chaos: {args.runs} runs of {DAG_ID}, {args.workers} at a time, every fault on...", flush=True)
    report = run_chaos(args.runs, args.workers)
    text = render(report)
    print(text)
    for run in report.runs:
        if not run.ok:
            print(f"failed run: {run.log}")
    if args.write_docs:
        write_docs(text)
        print(f"Updated {DOCS_PAGE}")
    return 0 if all(met for _, _, met in report.targets()) else 1


if __name__ == "__main__":
    sys.exit(main())
