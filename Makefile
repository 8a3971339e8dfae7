# One Makefile: the README and CI call these targets.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-fast lint typecheck check bench browser clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# xstatic-bootstrap 5 ships only as an sdist whose setup needs pkg_resources
	$(BIN)/pip install -q "setuptools<81" wheel
	$(BIN)/pip install -q --no-build-isolation "xstatic-bootstrap>=5"
	$(BIN)/pip install -q -e ".[dev,s3]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/imgharvest serve

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)

lint: install
	$(BIN)/ruff check imgharvest tests bench
	$(BIN)/ruff format --check imgharvest tests bench

typecheck: install
	$(BIN)/mypy

test-fast: install
	$(BIN)/pytest -q -m "not slow and not browser"

test: install browser lint typecheck
	$(BIN)/pytest -q

check: test

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
