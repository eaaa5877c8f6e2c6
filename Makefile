# The newcomer path: `make run` (install, demo data, serve) and `make test` (install, whole suite).
# Everything lives in .venv; it is created once and reinstalled only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; newer than pyproject.toml means nothing to do.
STAMP := $(VENV)/.installed

.PHONY: install run demo serve test lint schema ci clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "make: the gateway needs Python >= 3.11 as '$(PYTHON)' (found: $$($(PYTHON) --version 2>&1))." >&2; \
	  echo "make: point PYTHON at one, e.g. make run PYTHON=python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  echo "make: could not create $(VENV); on Debian/Ubuntu install python3-venv first." >&2; exit 1; }

# A new venv brings the pip and setuptools of its Python (3.11: pip 23, setuptools 65, which
# cannot build a wheel without `wheel`); the tests build a plugin package, so bring them up first.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip 'setuptools>=70.1'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

install: $(STAMP)

# Demo data first (it migrates and prints the demo logins), then the server, which prints its URL.
run: install
	$(BIN)/gateway demo
	$(BIN)/gateway serve

demo: install
	$(BIN)/gateway demo

serve: install
	$(BIN)/gateway serve

test: install
	$(BIN)/python -m pytest -q

# ruff (style, complexity <= 12, no private imports) and mypy (gateway, schema, plugins: 0 errors).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# The committed SDL, as the test suite builds it: plugins.toml only, no entry-point plugins.
schema: install
	GATEWAY_LOAD_PLUGINS= $(BIN)/gateway schema > schema/schema.graphql

ci:
	.ci/run

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
