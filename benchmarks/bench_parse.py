"""
DAG-parse cost: what the provider adds each time Airflow parses a DAG file that uses it.

Airflow's DAG processor parses every DAG file every few seconds, each time in a fresh process
forked from a parent that has already imported Airflow. This benchmark does the same: the parent
imports ``airflow.sdk`` and ``DagBag``, then forks one child per measurement, which parses one
file with ``DagBag`` (cold: the provider's modules are not imported yet). The baseline is a child
parsing an empty DAG. The difference is the provider's cost: its operator, sensor and trigger
modules, and the example DAG's own code.

It also checks which modules a parse loads: nothing heavy (the hook and its HTTP clients,
FastAPI, uvicorn, the emulator, Planet's SDK) may be imported when a DAG file is parsed.

    .venv/bin/python benchmarks/bench_parse.py [--repeats 15]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import EXAMPLE_DAGS, Result, arguments, fmt, isolate_airflow, median, quiet_logging

PROVIDER_MODULES = (
    "airflow_provider_planet_orders.operators.orders",
    "airflow_provider_planet_orders.operators.download",
    "airflow_provider_planet_orders.sensors.orders",
    "airflow_provider_planet_orders.triggers.orders",
)
#: Modules that must not be loaded by parsing (prefixes), and why they are heavy.
HEAVY = {
    "airflow_provider_planet_orders.hooks": "the hooks (requests, tenacity, the HTTP clients)",
    "airflow_provider_planet_orders.emulator": "the emulator",
    "fastapi": "FastAPI",
    "starlette": "Starlette",
    "uvicorn": "uvicorn",
    "planet": "Planet's SDK",
    "requests": "requests",
    "httpx": "httpx (the async HTTP client)",
}
TARGET_MS = 50.0
BASELINE = "empty DAG (the baseline)"
TASKFLOW = "empty DAG with one `@task` (no provider)"
ALL = "every example DAG and provider module, one process"
EMPTY_DAG = """\
from airflow.sdk import DAG

with DAG(dag_id="empty", schedule=None):
    pass
"""
#: An empty DAG with one TaskFlow task: what any DAG using ``@task`` pays, provider or not.
TASKFLOW_DAG = """\
from airflow.sdk import DAG, task

with DAG(dag_id="taskflow", schedule=None):

    @task
    def noop():
        return None

    noop()
"""


def _forked(action) -> dict:
    """Run ``action()`` in a forked child; return the dict it returns (as JSON through a pipe)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read)
        try:
            payload = json.dumps(action()).encode()
        except BaseException as error:  # report, never fall back into the parent's code
            payload = json.dumps({"error": repr(error)}).encode()
        with os.fdopen(write, "wb") as out:
            out.write(payload)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as source:
        data = source.read()
    os.waitpid(pid, 0)
    result = json.loads(data)
    if "error" in result:
        raise RuntimeError(result["error"])
    return result


def _bytecode(cache: Path | None) -> None:
    """Read and write bytecode under ``cache``; with ``None``, compile every source afresh."""
    if cache is None:
        sys.dont_write_bytecode = True
        sys.pycache_prefix = tempfile.mkdtemp(prefix="no-bytecode-")
    else:
        sys.dont_write_bytecode = False
        sys.pycache_prefix = str(cache)


def _parse(path: Path, import_modules: bool, cache: Path | None):
    def action() -> dict:
        import importlib

        from airflow.dag_processing.dagbag import DagBag

        _bytecode(cache)
        before = set(sys.modules)
        started = time.perf_counter()
        if import_modules:
            for module in PROVIDER_MODULES:
                importlib.import_module(module)
        bag = DagBag(str(path))
        seconds = time.perf_counter() - started
        return {
            "seconds": seconds,
            "dags": sorted(bag.dags),
            "errors": {str(k): str(v) for k, v in bag.import_errors.items()},
            "new_modules": sorted(set(sys.modules) - before),
        }

    return action


def _import_modules(cache: Path | None):
    def action() -> dict:
        import importlib

        _bytecode(cache)
        started = time.perf_counter()
        for module in PROVIDER_MODULES:
            importlib.import_module(module)
        return {"seconds": time.perf_counter() - started}

    return action


def _sdk_import_seconds(repeats: int) -> float:
    """``import airflow.sdk`` in a fresh interpreter: what the baseline itself costs."""
    code = "import time; t = time.perf_counter(); import airflow.sdk; print(time.perf_counter() - t)"
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return median(times)


def _heavy(modules: list[str]) -> list[str]:
    found = []
    for prefix, label in HEAVY.items():
        if any(m == prefix or m.startswith(prefix + ".") for m in modules):
            found.append(label)
    return found


def main() -> None:
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="forked parses per file")
    args = parser.parse_args()
    repeats = 5 if args.quick else args.repeats
    home = isolate_airflow()
    result = Result("parse", "DAG-parse cost")
    sdk_seconds = _sdk_import_seconds(3)

    quiet_logging()
    import airflow.sdk  # noqa: F401 - the parent state every child is forked from
    from airflow.dag_processing.dagbag import DagBag  # noqa: F401

    baseline_modules = set(sys.modules)
    work = home / "dags"
    work.mkdir()
    (work / "empty_dag.py").write_text(EMPTY_DAG)
    (work / "taskflow_dag.py").write_text(TASKFLOW_DAG)
    cache = home / "bytecode"

    cases: dict[str, tuple[Path, bool]] = {
        BASELINE: (work / "empty_dag.py", False),
        TASKFLOW: (work / "taskflow_dag.py", False),
    }
    for path in sorted(EXAMPLE_DAGS.glob("example_*.py")):
        cases[path.name] = (path, False)
    cases[ALL] = (EXAMPLE_DAGS, True)

    # One untimed parse of each file first: bytecode caches, the page cache.
    for path, with_modules in cases.values():
        _forked(_parse(path, with_modules, cache))

    times: dict[tuple[str, bool], list[float]] = {}
    detail: dict[str, dict] = {}
    imports: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(repeats):  # interleaved, so that drift hits every case alike
        for cached in (True, False):
            for name, (path, with_modules) in cases.items():
                run = _forked(_parse(path, with_modules, cache if cached else None))
                times.setdefault((name, cached), []).append(run["seconds"])
                detail[name] = run
            imports[cached].append(_forked(_import_modules(cache if cached else None))["seconds"])

    ms = {key: median(values) * 1000 for key, values in times.items()}
    base = {cached: ms[(BASELINE, cached)] for cached in (True, False)}
    rows = [
        ["`import airflow.sdk` in a fresh interpreter (context)", fmt(sdk_seconds * 1000), "-", "-", "-", "-"]
    ]
    rows.append(
        [
            "provider operator, sensor and trigger modules, import only",
            fmt(median(imports[True]) * 1000, 2),
            "-",
            "-",
            fmt(median(imports[True]) * 1000, 2),
            fmt(median(imports[False]) * 1000, 2),
        ]
    )
    added: dict[str, float] = {}
    for name in cases:
        added[name] = ms[(name, True)] - base[True]
        rows.append(
            [
                name,
                fmt(ms[(name, True)], 2),
                fmt(base[True], 2) if name != BASELINE else "-",
                f"{ms[(name, True)] / base[True]:.1f}x" if name != BASELINE else "-",
                fmt(added[name], 2) if name != BASELINE else "-",
                fmt(ms[(name, False)] - base[False], 2) if name != BASELINE else "-",
            ]
        )
    result.table(
        f"Parse time in ms, median of {repeats} forked parses each",
        [
            "What is parsed",
            "Time",
            "Baseline (empty DAG)",
            "Ratio",
            "Added",
            "Added, no bytecode cache",
        ],
        rows,
    )
    heavy_rows = []
    for name in cases:
        if name in (BASELINE, TASKFLOW):
            continue
        heavy = _heavy(detail[name]["new_modules"])
        errors = detail[name]["errors"]
        heavy_rows.append([name, ", ".join(heavy) or "none", "; ".join(errors.values()) or "none"])
    result.table(
        "Heavy modules loaded by a parse", ["What is parsed", "Heavy modules", "Import errors"], heavy_rows
    )

    examples = [n for n in added if n.startswith("example_")]
    worst_name = max(examples, key=added.__getitem__)
    worst = added[worst_name]
    result.target(
        f"at most {TARGET_MS:.0f} ms added to parsing a DAG file that uses the provider",
        f"worst example DAG, `{worst_name}`: {worst:.1f} ms added; every example DAG in one process: "
        f"{added[ALL]:.1f} ms (for scale: an empty DAG with one `@task` and no provider adds "
        f"{added[TASKFLOW]:.1f} ms by itself)",
        worst <= TARGET_MS,
    )
    all_new = set(detail[ALL]["new_modules"])
    heavy_all = _heavy(sorted(all_new))
    preloaded = [label for prefix, label in HEAVY.items() if prefix in baseline_modules]
    result.target(
        "nothing heavy (the hooks, the async HTTP client, FastAPI, the emulator) imported at parse time",
        "parsing every example DAG loads "
        + (", ".join(heavy_all) or "none of them")
        + (f" ({', '.join(preloaded)} is already loaded by `airflow.sdk` itself)" if preloaded else ""),
        not heavy_all and not any(detail[n]["errors"] for n in cases),
    )
    provider_modules = sorted(m for m in all_new if m.startswith("airflow_provider_planet_orders"))
    result.note(
        "Provider modules that parsing every example DAG loads: "
        + ", ".join(f"`{m}`" for m in provider_modules)
        + f" ({len(all_new)} modules in all beyond the parent's)."
    )
    result.note(
        "Without a bytecode cache (`PYTHONDONTWRITEBYTECODE=1` and no `__pycache__`, as in some "
        "containers) every parse compiles the provider's modules from source: the last column."
    )
    result.setup = [
        "A parent process imports `airflow.sdk` and `DagBag`, as Airflow's DAG processor does before "
        "it forks a parser.",
        f"Each measurement is a child forked from it that parses one file with `DagBag(path)`, cold "
        f"(the provider not yet imported): {repeats} forks per file, interleaved, median reported, "
        "after one untimed parse that fills the bytecode cache.",
        "Baseline: the same for a file with one empty DAG. Added = file minus baseline.",
    ]
    result.figures = {
        "sdk_import_ms": sdk_seconds * 1000,
        "empty_ms": base[True],
        "modules_ms": median(imports[True]) * 1000,
        "added_ms": added,
    }
    result.emit(args.json)


if __name__ == "__main__":
    main()
