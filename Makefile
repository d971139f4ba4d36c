# Everything a fresh machine with python3 and make needs: `make test`, `make demo`.
# Virtualenvs are (re)built only when pyproject.toml or the constraints change.

PYTHON ?= python3
# Constraints are resolved per Airflow version and per Python version (X.Y).
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
AIRFLOW_VERSION ?= 3.3.2
VENV ?= .venv
EXTRAS ?= test,lint,docs
CONSTRAINTS = constraints/airflow-$(AIRFLOW_VERSION)-py$(PYTHON_VERSION).txt

# The claimed range beyond the main virtualenv, as <airflow>-py<python> pairs: the oldest Airflow
# and the newest of each minor release on the main Python, and the newest Airflow on the oldest
# and the newest claimed Python. Each pair has its virtualenv .venv-<pair> and its pins in
# constraints/airflow-<pair>.txt; `make matrix-<pair>` runs the tests there, end-to-end aside.
MATRIX ?= 3.0.6-py3.11 3.1.8-py3.11 3.2.2-py3.11 3.3.2-py3.10 3.3.2-py3.13
OLDEST_PAIR = 3.0.6-py3.11

# Keep Airflow's own state out of the user's home while testing.
export AIRFLOW__CORE__LOAD_EXAMPLES ?= False

.PHONY: help venv test test-oldest test-matrix print-matrix lint unit docs dist demo airflow chaos constraints clean

help:
	@echo "make demo         run the recurring-pull example DAG end to end against the local emulator"
	@echo "make airflow      a local Airflow UI with the example DAGs, wired to the emulator"
	@echo "make test         lint, type-check and run the test suite (Airflow $(AIRFLOW_VERSION), Python $(PYTHON_VERSION))"
	@echo "make test-matrix  run the tests, end-to-end aside, on every pair of: $(MATRIX)"
	@echo "make matrix-P     the same on one pair P, e.g. make matrix-3.3.2-py3.10"
	@echo "make test-oldest  the same on the oldest supported Airflow ($(OLDEST_PAIR))"
	@echo "make chaos        $(CHAOS_RUNS) DAG runs under every fault; writes docs/reliability.md figures"
	@echo "make docs         build the documentation site (warnings are errors)"
	@echo "make dist         build the sdist and the wheel into dist/"
	@echo "make bench        run the benchmarks (about 10 minutes) and rewrite docs/performance.md"
	@echo "make constraints  re-resolve and pin every dependency (needs the package index)"

# The pins are a prerequisite only where they exist: tools/install-venv names a missing file.
$(VENV)/.installed: pyproject.toml $(wildcard $(CONSTRAINTS))
	@tools/install-venv $(VENV) $(PYTHON) $(AIRFLOW_VERSION) $(CONSTRAINTS) $(EXTRAS)

# One rule for every pair: the stem is <airflow>-py<python>.
pair_airflow = $(word 1,$(subst -py, ,$(1)))
pair_python = $(word 2,$(subst -py, ,$(1)))
# Second expansion lets the prerequisites name the stem; .PRECIOUS keeps make from deleting a
# virtualenv's marker as an intermediate file once the tests that needed it have run.
.SECONDEXPANSION:
.PRECIOUS: .venv-%/.installed
.venv-%/.installed: pyproject.toml $$(wildcard constraints/airflow-$$*.txt)
	@tools/install-venv .venv-$* $(call pair_python,$*) $(call pair_airflow,$*) constraints/airflow-$*.txt test

venv: $(VENV)/.installed

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(VENV)/bin/pytest

test: lint unit

# The tests on one pair of the matrix, end-to-end aside (they need minutes of real Airflow each).
matrix-%: .venv-%/.installed
	@echo "== Airflow $(call pair_airflow,$*) on Python $(call pair_python,$*) =="
	.venv-$*/bin/pytest -m "not e2e"

test-matrix: $(addprefix matrix-,$(MATRIX))

# For .ci/run, which times each pair on its own.
print-matrix:
	@echo $(MATRIX)

test-oldest: matrix-$(OLDEST_PAIR)

# sdist and wheel, built from the sdist (so the wheel proves the sdist is complete), with the
# backend pinned in the virtualenv rather than one fetched for an isolated build.
dist: $(VENV)/.installed
	rm -rf dist
	$(VENV)/bin/python -m build --no-isolation --outdir dist .
	@ls -l dist

# The main job, end to end: the emulator, a throwaway Airflow, the recurring-pull DAG.
demo: $(VENV)/.installed
	@$(VENV)/bin/python -m tests.e2e.demo

# A real local Airflow (api-server, scheduler, dag-processor, triggerer) on the emulator; Ctrl-C stops it.
airflow: $(VENV)/.installed
	@$(VENV)/bin/python -m tests.e2e.local_airflow

# Reliability under every fault at once; updates the figures in docs/reliability.md.
CHAOS_RUNS ?= 50
chaos: $(VENV)/.installed
	@$(VENV)/bin/python -m tests.reliability.chaos --runs $(CHAOS_RUNS) --write-docs

# The documentation site, warnings as errors: a broken reference fails the build.
docs: $(VENV)/.installed
	$(VENV)/bin/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	@echo "Docs: docs/_build/html/index.html"

# What the provider costs (DAG parsing, waiting at scale, hook calls, listing, downloads), measured
# against the emulator, printed, and written with the machine's description to docs/performance.md.
.PHONY: bench
bench: $(VENV)/.installed
	$(VENV)/bin/python benchmarks/run.py

# Pin what a fresh resolve picks today for the main pair and every pair of the matrix, or for
# the pairs named: make constraints CONSTRAINT_PAIRS="3.2.2-py3.11".
CONSTRAINT_PAIRS ?= $(AIRFLOW_VERSION)-py$(PYTHON_VERSION) $(MATRIX)
constraints:
	@set -e; for pair in $(CONSTRAINT_PAIRS); do \
		tools/resolve-constraints "$${pair%-py*}" "$${pair#*-py}"; \
	done

clean:
	rm -rf $(VENV) .venv-* build dist .mypy_cache .ruff_cache
