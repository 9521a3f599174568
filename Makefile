# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint typecheck check

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# On machines without internet access the models come from a local folder; the project's
# development machines have them in ../shared/models.
SHARED_MODELS := $(wildcard $(CURDIR)/../shared/models)

run: $(STAMP)
	$(if $(and $(SHARED_MODELS),$(if $(SEARCHAPP_MODEL_DIR),,1)),SEARCHAPP_MODEL_DIR=$(SHARED_MODELS)) \
	$(BIN)/python -m searchapp.run

# The suite runs in TEST_PROCESSES parallel pytest-xdist workers, each with a test database,
# a Redis database (so a Celery queue) and folders of its own. Some tests wait on processes,
# servers and a browser rather than compute; here (2 cores) 3 workers were no faster than 4.
# PYTEST_ARGS="-n 0" runs everything in one process (for a debugger, or -x).
# Bytecode caches are written even where PYTHONDONTWRITEBYTECODE is set: every test process
# and every worker, server and manage.py process the tests start would otherwise compile the
# project (and pytest rewrite every test module) anew. `--dist load`, not loadgroup or
# loadfile: those key the work by test id, and the schema fuzz test's 29 cases share one id
# (tests/security/test_openapi_fuzz.py), so all but one would silently not run.
# `--maxschedchunk 1`: xdist's load scheduler otherwise hands each worker a run of a quarter of
# its share of consecutive tests at the start, so the longest tests, sorted first
# (tests/conftest.py LONGEST_FIRST), would all go to the first worker, one after another.
TEST_PROCESSES ?= 4

test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist load --maxschedchunk 1 $(PYTEST_ARGS)

# Default: 100k vectors (~5 min here). BENCH_ARGS="--sizes 100000,1000000" adds 1M (the search
# section alone took 48-55 min more here on 2 cores, mostly its three graph builds).
bench: $(STAMP)
	@command -v wrk >/dev/null || echo "wrk not found (apt-get install wrk): the API section will be skipped"
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

check: lint typecheck test
