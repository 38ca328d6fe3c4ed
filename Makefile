# The README's commands. Each target does its own set-up: virtual environment, packages, a browser.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
ENV    ?= sandbox
PYTEST_ARGS ?=

.PHONY: setup certify test sandbox clean

setup: $(VENV)/.installed
	@$(BIN)/python -m harness.browser

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

## certify: the main job: the certification suite (e2e/) against ENV (default: the embedded sandbox)
certify: setup
	$(BIN)/python -m pytest e2e --env $(ENV) $(PYTEST_ARGS)

## test: the harness's own tests (tests/) and the certification suite, against the sandbox
test: setup
	$(BIN)/python -m pytest tests e2e $(PYTEST_ARGS)

## sandbox: serve the simulator and the reference store for a person to click through
sandbox: setup
	$(BIN)/python -m sandbox

clean:
	rm -rf $(VENV) reports *.egg-info
