# The README's commands. Each target does its own set-up: virtual environment, packages, a browser.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
ENV    ?= sandbox
PYTEST_ARGS ?=
PROXY_ARGS ?=
# pytest-xdist workers: every core against the sandbox (each worker starts its own simulator and store). Against a
# real environment one at a time unless asked (WORKERS=auto): the test customers are shared by every test, and
# whether Flexiti lets one customer run two purchases at once in Training or MI is not documented (see README).
WORKERS ?= $(if $(filter sandbox,$(ENV)),auto,0)

.PHONY: setup certify test lint sandbox proxy clean

setup: $(VENV)/.installed
	@$(BIN)/python -m harness.browser --env $(ENV)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

## certify: the main job: the certification suite (e2e/) against ENV (default: the embedded sandbox)
certify: setup
	$(BIN)/python -m pytest e2e --env $(ENV) -n $(WORKERS) $(PYTEST_ARGS)

## test: the lint and type gate first (seconds; `make lint`), then the harness's own tests (tests/) and the
## certification suite, against the sandbox, on every core; defect detection runs each defect against the tests
## citing its items (the full matrix is `make detect`)
test: setup
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest tests e2e -n auto $(PYTEST_ARGS)
	$(BIN)/python -m sandbox.detection --cited

## lint: ruff over the code, mypy (strict for harness/, pages/, fixtures/); `make test` runs both first and stops on
## either; this target runs both and reports both
lint: $(VENV)/.installed
	@status=0; $(BIN)/python -m ruff check . || status=1; $(BIN)/python -m mypy || status=1; exit $$status

## proxy: the recording proxy in front of ENV's POS API, masking ENV's client secret; run it on the staging backend's
## host and point the backend's Flexiti base URL at it (PROXY_ARGS="--port 8766" for another port). Its control token
## is FLEXITI_PROXY_TOKEN from .env.ENV (else it prints one). No browser needed. See the README's recording proxy section.
proxy: $(VENV)/.installed
	$(BIN)/python -m harness.proxy --env $(ENV) $(PROXY_ARGS)

## sandbox: serve the simulator and the reference store for a person to click through
sandbox: setup
	$(BIN)/python -m sandbox

clean:
	rm -rf $(VENV) reports *.egg-info

RUNS ?= 20
BENCH_ARGS ?=

.PHONY: flake flake-load bench detect

## flake: run the certification suite RUNS times (default 20) and count how often each test failed
flake: setup
	$(BIN)/python -m harness.flake --runs $(RUNS) -- e2e -n $(WORKERS) $(PYTEST_ARGS)

## flake-load: the same, with one core kept busy by a niced process
flake-load: setup
	$(BIN)/python -m harness.flake --runs $(RUNS) --load -- e2e -n $(WORKERS) $(PYTEST_ARGS)

## detect: the full matrix: the whole suite against every store defect and the clean store, and the detection table
## (DETECT_ARGS="--adapter profile" drives the store through storefronts/reference-store.toml instead)
DETECT_ARGS ?=
detect: setup
	$(BIN)/python -m sandbox.detection $(DETECT_ARGS)

## bench: measure the harness (see bench/README.md); BENCH_ARGS="--only sandbox_rps" picks figures
bench: setup
	$(BIN)/python bench/benchmark.py $(BENCH_ARGS)
