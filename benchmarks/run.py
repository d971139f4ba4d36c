"""
Run every benchmark, each in its own process, print the figures, and write docs/performance.md.

Each ``bench_*.py`` prints its figures as it goes and hands them over as JSON (``--json``); this
runner adds the machine's description and renders the page, targets and verdicts included, so
that one command (``make bench``) regenerates it. A benchmark that fails is reported on the page
and makes the run exit non-zero; a missed target does not: it is a figure, not a test.

    .venv/bin/python benchmarks/run.py                   # everything; rewrites docs/performance.md
    .venv/bin/python benchmarks/run.py --only parse hook # some of them; the page is left alone
    .venv/bin/python benchmarks/run.py --quick           # small and fast: checks the scripts
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchlib import BENCHMARKS, ROOT, machine

PAGE = ROOT / "docs" / "performance.md"


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    title: str
    #: Arguments for the full run.
    arguments: tuple[str, ...] = ()
    #: Written by this project's benchmarks: speaks ``--json`` and ``--quick``.
    structured: bool = True


SUITE = (
    Benchmark("parse", "bench_parse.py", "DAG-parse cost"),
    Benchmark("waiting", "bench_waiting.py", "Waiting at scale"),
    Benchmark("hook", "bench_hook_overhead.py", "Hook call overhead"),
    Benchmark("listing", "bench_listing.py", "Listing"),
    Benchmark("download", "bench_download.py", "Downloads"),
    Benchmark(
        "emulator",
        "bench_emulator.py",
        "The emulator's own speed",
        arguments=("--seconds", "5"),
        structured=False,
    ),
)


def run(benchmark: Benchmark, quick: bool, work: Path) -> dict[str, Any]:
    """Run one benchmark, its output shown live; its figures, or what went wrong."""
    script = BENCHMARKS / benchmark.script
    print(f"\n=== {benchmark.title} ({benchmark.script}) ===", flush=True)
    if not script.exists():
        return {"name": benchmark.name, "title": benchmark.title, "error": f"{script.name} is missing"}
    output = work / f"{benchmark.name}.json"
    command = [sys.executable, str(script)]
    if benchmark.structured:
        command += ["--json", str(output)] + (["--quick"] if quick else list(benchmark.arguments))
    elif quick:
        command += ["--seconds", "1", "--files", "2", "--file-size", "8MiB", "--big-file-size", "64MiB"]
    else:
        command += list(benchmark.arguments)
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        print(line, end="", flush=True)
        lines.append(line)
    process.wait()
    seconds = time.monotonic() - started
    text = "".join(lines)
    if process.returncode != 0:
        tail = "".join(lines[-25:])
        return {
            "name": benchmark.name,
            "title": benchmark.title,
            "error": f"`{script.name}` exited with status {process.returncode}",
            "output": tail,
            "seconds": seconds,
        }
    if not benchmark.structured:
        return {"name": benchmark.name, "title": benchmark.title, "output": text, "seconds": seconds}
    data = json.loads(output.read_text())
    data["seconds"] = seconds
    return data


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(columns: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(c) for c in columns) + " |"]
    lines.append("|" + "|".join(" --- " for _ in columns) + "|")
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "not measured"}[met]


INTRO = """\
Three facts shape what this provider costs: users run hundreds of pulls at once; Airflow parses
DAG files every few seconds; Planet lets each API key make only a few requests a second (3 per
second for get and list). This page measures the provider on each, against a baseline measured
in the same run, so that every later change can be judged by numbers. Every target is stated with
its figure, met or not.

Every figure here was measured against the provider's emulator of the Orders API
(`airflow_provider_planet_orders.emulator`) on loopback, never against Planet, on the machine
described below: absolute numbers are this machine's, the ratios are what carries over.
"""

REPRODUCE = """\
`make bench` runs every benchmark, each in its own process, prints the figures, and rewrites
this page (about {minutes} minutes on the machine above). Each benchmark also runs alone, printing
its figures without touching the page:

```text
make bench                                          # everything; rewrites docs/performance.md
.venv/bin/python benchmarks/run.py --only parse     # some benchmarks; the page is left alone
.venv/bin/python benchmarks/run.py --quick          # small and fast: checks that the scripts run
.venv/bin/python benchmarks/bench_parse.py          # DAG-parse cost
.venv/bin/python benchmarks/bench_waiting.py        # waiting at scale (--interval, --sizes, --modes)
.venv/bin/python benchmarks/bench_hook_overhead.py  # hook call overhead
.venv/bin/python benchmarks/bench_listing.py        # listing (--orders)
.venv/bin/python benchmarks/bench_download.py       # downloads (--files, --file-size, --dest)
.venv/bin/python benchmarks/bench_emulator.py       # the emulator's own speed
```

The benchmarks live in `benchmarks/`, outside the test suite: `make test` does not run them, and
none of them asserts a time.
"""


def render(results: list[dict[str, Any]], host: dict[str, str], minutes: float) -> str:
    lines = [
        "# Performance",
        "",
        "<!-- Written by `make bench` (benchmarks/run.py): edit the benchmarks, not this page. -->",
        "",
        INTRO,
        "## Targets",
        "",
    ]
    rows = []
    for result in results:
        rows.extend(
            [result["title"], t["target"], t["measured"], _verdict(t["met"])]
            for t in result.get("targets", [])
        )
        if result.get("error"):
            rows.append([result["title"], "(the benchmark ran)", result["error"], "**failed**"])
    lines += _table(["Benchmark", "Target", "Measured", "Verdict"], rows)
    lines += ["", "## The machine", ""]
    lines += _table(["", ""], [[k, v] for k, v in host.items()])
    lines += [
        "",
        "Emulator, clients and baselines all share these cores: where CPU or memory is measured, "
        "the emulator runs in a process of its own.",
        "",
    ]
    for result in results:
        lines += [f"## {result['title']}", ""]
        if result.get("error"):
            lines += [f"This benchmark did not complete: {result['error']}.", ""]
            if result.get("output"):
                lines += ["```text", result["output"].rstrip(), "```", ""]
            continue
        if "setup" not in result:  # an unstructured script: its output, as printed
            lines += [
                f"Printed by `benchmarks/{_script(result['name'])}` in the same run "
                f"({result.get('seconds', 0):.0f} s):",
                "",
                "```text",
                result.get("output", "").rstrip(),
                "```",
                "",
            ]
            continue
        lines += ["What was run:", ""]
        lines += [f"- {item}" for item in result["setup"]]
        lines.append("")
        for table in result["tables"]:
            lines += [f"**{table['title']}**", ""]
            lines += _table(table["columns"], table["rows"])
            lines.append("")
        if result["targets"]:
            lines += ["Targets:", ""]
            for target in result["targets"]:
                lines.append(
                    f"- {target['target']}: {target['measured']}. Verdict: {_verdict(target['met'])}."
                )
            lines.append("")
        if result["notes"]:
            lines += [f"- {note}" for note in result["notes"]]
            lines.append("")
        lines += [f"Run time: {result.get('seconds', 0):.0f} s.", ""]
    lines += ["## Reproducing", "", REPRODUCE.format(minutes=f"{minutes:.0f}")]
    return "\n".join(lines).rstrip() + "\n"


def _script(name: str) -> str:
    return next(b.script for b in SUITE if b.name == name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    names = [b.name for b in SUITE]
    parser.add_argument("--only", nargs="+", choices=names, help="run only these benchmarks")
    parser.add_argument("--skip", nargs="+", choices=names, default=[], help="leave these out")
    parser.add_argument("--quick", action="store_true", help="small, fast runs (checks the scripts)")
    parser.add_argument(
        "--page",
        type=Path,
        help=f"write the page here (default: {PAGE.relative_to(ROOT)} after a full run of everything)",
    )
    args = parser.parse_args()
    chosen = [b for b in SUITE if (not args.only or b.name in args.only) and b.name not in args.skip]
    page = args.page or (PAGE if not args.quick and len(chosen) == len(SUITE) else None)

    started = time.monotonic()
    host = machine()
    with tempfile.TemporaryDirectory(prefix="planet-orders-bench-") as work:
        results = [run(benchmark, args.quick, Path(work)) for benchmark in chosen]
    minutes = (time.monotonic() - started) / 60

    print("\n=== Targets ===")
    for result in results:
        if result.get("error"):
            print(f"FAILED  {result['title']}: {result['error']}")
        for target in result.get("targets", []):
            print(f"{_verdict(target['met']).strip('*'):<12} {result['title']}: {target['target']}")
            print(f"{'':<12} {target['measured']}")
    print(f"\nAll benchmarks: {minutes:.1f} minutes.")
    if page is not None:
        page.write_text(render(results, host, minutes))
        print(f"Wrote {page}")
    else:
        print("The page was not written (a partial or quick run); --page PATH writes one anyway.")
    if any(r.get("error") for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
