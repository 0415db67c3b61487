# The README's two commands: `make run` and `make test`. Both create .venv when it is missing or older
# than pyproject.toml, install sslbench into it, then run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.sslbench-installed
SUITE ?= quick
OUT ?= sslbench-out

.PHONY: run test typecheck install clean-venv

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/sslbench run $(SUITE) --out $(OUT)

# mypy over the sslbench namespace, through a link tree in build/typecheck (mypy cannot follow package-dir).
typecheck: $(STAMP)
	$(BIN)/python .ci/typecheck.py

# Lint, format and type checks, then the tests on two worker processes (one torch thread each); with worksteal
# an idle worker takes tests queued for the busy one, so both finish together.
test: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m ruff format --check .
	$(BIN)/python .ci/typecheck.py
	$(BIN)/python -m pytest -n 2 --dist worksteal

clean-venv:
	rm -rf $(VENV)
