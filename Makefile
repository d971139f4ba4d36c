# Everything a fresh machine with python3 and make needs: `make test`, `make demo`.
# Virtualenvs are (re)built only when pyproject.toml or the constraints change.

PYTHON ?= python3
AIRFLOW_VERSION ?= 3.3.2
OLDEST_AIRFLOW_VERSION ?= 3.0.6
VENV ?= .venv
OLDEST_VENV ?= .venv-oldest
EXTRAS ?= test,lint,docs

CONSTRAINTS = constraints/airflow-$(AIRFLOW_VERSION).txt
OLDEST_CONSTRAINTS = constraints/airflow-$(OLDEST_AIRFLOW_VERSION).txt

# Keep Airflow's own state out of the user's home while testing.
export AIRFLOW__CORE__LOAD_EXAMPLES ?= False

.PHONY: help venv test test-oldest lint unit docs demo airflow chaos constraints clean

help:
	@echo "make demo         run the recurring-pull example DAG end to end against the local emulator"
	@echo "make airflow      a local Airflow UI with the example DAGs, wired to the emulator"
	@echo "make test         lint, type-check and run the test suite (newest Airflow $(AIRFLOW_VERSION))"
	@echo "make test-oldest  run the tests against the oldest supported Airflow ($(OLDEST_AIRFLOW_VERSION))"
	@echo "make chaos        $(CHAOS_RUNS) DAG runs under every fault; writes docs/reliability.md figures"
	@echo "make docs         build the documentation site (warnings are errors)"
	@echo "make bench        run the benchmarks (about 10 minutes) and rewrite docs/performance.md"
	@echo "make constraints  re-resolve and pin every dependency (needs the package index)"

# $(call install,venv,airflow version,constraints file,extras)
define install
	@test -x $(1)/bin/python || $(PYTHON) -m venv $(1)
	@echo "Installing into $(1) (Airflow $(2)); log: $(1)/install.log"
	@$(1)/bin/python -m pip install -q -c $(3) --upgrade pip > $(1)/install.log 2>&1 \
		&& $(1)/bin/python -m pip install -q -c $(3) -e ".[$(4)]" "apache-airflow==$(2)" >> $(1)/install.log 2>&1 \
		|| { tail -n 40 $(1)/install.log; exit 1; }
	@touch $(1)/.installed
endef

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(call install,$(VENV),$(AIRFLOW_VERSION),$(CONSTRAINTS),$(EXTRAS))

$(OLDEST_VENV)/.installed: pyproject.toml $(OLDEST_CONSTRAINTS)
	$(call install,$(OLDEST_VENV),$(OLDEST_AIRFLOW_VERSION),$(OLDEST_CONSTRAINTS),test)

venv: $(VENV)/.installed

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: $(VENV)/.installed
	$(VENV)/bin/pytest

test: lint unit

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

test-oldest: $(OLDEST_VENV)/.installed
	$(OLDEST_VENV)/bin/pytest -m "not e2e"

# Pin what a fresh resolve picks today, for both Airflow versions the provider is tested on.
# constraints/pins-<version>.txt, where present, holds what a fresh resolve must respect for that
# Airflow (the versions of Airflow's own constraints that its code needs).
CONSTRAINT_VERSIONS ?= $(AIRFLOW_VERSION) $(OLDEST_AIRFLOW_VERSION)
constraints:
	@set -e; for v in $(CONSTRAINT_VERSIONS); do \
		d=$$(mktemp -d); $(PYTHON) -m venv $$d; \
		pins=""; if [ -f constraints/pins-$$v.txt ]; then pins="-c constraints/pins-$$v.txt"; fi; \
		$$d/bin/python -m pip install -q --upgrade pip && \
		$$d/bin/python -m pip install -q $$pins -e ".[test,lint,docs]" "apache-airflow==$$v" 2>&1 | grep -v '^WARNING: Location' || true; \
		$$d/bin/python -c 'import airflow_provider_planet_orders' && \
		{ echo "# Resolved by 'make constraints' for Airflow $$v on Python $$($$d/bin/python -c 'import platform; print(platform.python_version())')"; \
		  $$d/bin/python -m pip freeze --all --exclude-editable | grep -v '^-e'; } > constraints/airflow-$$v.txt; \
		rm -rf $$d; \
	done

clean:
	rm -rf $(VENV) $(OLDEST_VENV) build dist .mypy_cache .ruff_cache
