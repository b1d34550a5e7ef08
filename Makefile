# Faultline. Every target bootstraps .venv on first use: a fresh clone needs only Python 3.11+ and make.
#   make test-fm1       watch FM_001 break (violated invariant + evidence)
#   make test-fm1-fix   prove the fix holds
#   make test           the whole suite
#   make sync           set up and regenerate the generated docs

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PYTEST := $(BIN)/python -m pytest

# Compiled bytecode is kept (a suite that starts a hundred Python processes should not recompile
# every module in each), under .venv so the checkout itself stays clean.
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache
unexport PYTHONDONTWRITEBYTECODE

.DEFAULT_GOAL := help
.PHONY: help sync docs test drills lint bench images mutants clean up

help:
	@echo "make test-fmN       reproduce failure mode N (e.g. make test-fm1)"
	@echo "make test-fmN-fix   prove the fix for failure mode N"
	@echo "make test           run the whole suite"
	@echo "make drill-fmN      run failure mode N for real (OS processes on SQLite): break, then fix"
	@echo "make drills         the real-world drills (SQLite and Postgres, processes, HTTP)"
	@echo "make up             the job service and a worker pool on SQLite (Ctrl-C stops both)"
	@echo "make sync           create .venv, install pinned deps, regenerate docs"
	@echo "make lint           ruff"
	@echo "make bench          speed vs SimPy, explorer seeds/s, the real world vs its peers, the service at load"
	@echo "make images         render the drill reports to PNG (needs chromium)"
	@echo "make mutants        plant bugs one at a time and prove the lab catches each"

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Faultline needs Python 3.11+; found " + sys.version.split()[0] + ". Set PYTHON=python3.11 (or newer).")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

sync: $(STAMP) docs

docs: $(STAMP)
	@$(BIN)/python -m faultline.docs write

test: $(STAMP)
	@$(PYTEST) -n 2 -m "not drill"

# The real world's longer drills: every FM for real on SQLite and Postgres, the service drills.
# One at a time: each drill is itself a handful of processes racing on the clock, and two drills
# side by side on two cores break the timings the FMs' races depend on.
drills: $(STAMP)
	@$(PYTEST) -m drill

# The job-system quickstart: the service (http://127.0.0.1:8000) and two workers on .faultline/jobs.sqlite.
# BROKER=amqp://guest:guest@127.0.0.1:5672/%2F has RabbitMQ deliver the jobs.
BROKER ?=
up: $(STAMP)
	@$(BIN)/faultline up $(if $(BROKER),--broker '$(BROKER)')

lint: $(STAMP)
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy

# Drill screenshots for the README and docs/drills/ (needs Debian's chromium: apt-get install chromium).
images: $(STAMP)
	@$(BIN)/python -m faultline.present.images

# Each planted bug runs in a temporary copy of the tree against `explore --policy safe`, then the tests.
mutants: $(STAMP)
	@$(BIN)/python -m faultline.mutants

bench: $(STAMP)
	@$(BIN)/python benchmarks/bench_vs_simpy.py
	@$(BIN)/python benchmarks/bench_explorer.py
	@$(BIN)/python benchmarks/bench_real.py
	@$(BIN)/python benchmarks/bench_service.py

# The same FM in the real world: worker processes on a SQLite file (DB=postgresql://... for Postgres).
DB ?= .faultline/real.sqlite
drill-fm%: $(STAMP)
	@$(BIN)/faultline run FM_$* --real --db $(DB) --reset --create-db --expect-violation
	@$(BIN)/faultline run FM_$* --real --db $(DB) --reset --create-db --fix

# One pattern rule per direction serves every failure mode: test-fm7 means FM_007.
# (GNU make prefers the rule with the shorter stem, so test-fm7-fix picks the -fix rule.)
test-fm%-fix: $(STAMP)
	@$(BIN)/faultline run FM_$* --fix
	@$(PYTEST) -v --no-header $$($(BIN)/faultline path FM_$* --test prevent)

test-fm%: $(STAMP)
	@$(BIN)/faultline run FM_$* --expect-violation
	@$(PYTEST) -v --no-header $$($(BIN)/faultline path FM_$* --test repro)

clean:
	rm -rf $(VENV) .hypothesis .pytest_cache .ruff_cache
