# One Makefile: the README and CI call these targets.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-run

.PHONY: install run test test-fast lint typecheck check bench browser clean wheel-check vendor screenshots

# `make install` (and test, lint, typecheck): the package with the development tools.
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev,s3]"
	touch $(STAMP) $(RUN_STAMP)

# `make run`: only what serving needs (the dev tools come with `make test`).
$(RUN_STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --no-compile -e .
	touch $(RUN_STAMP)

install: $(STAMP)

run: $(RUN_STAMP)
	$(BIN)/imgharvest serve

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null)

lint: install
	$(BIN)/ruff check imgharvest tests bench
	$(BIN)/ruff format --check imgharvest tests bench
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

test-fast: install
	$(BIN)/pytest -q -m "not slow and not browser"

test: install browser lint typecheck
	$(BIN)/pytest -q -m "not wheel"

# Build the sdist and the wheel, install the wheel into a fresh venv with no pip cache,
# then run `imgharvest --version` and a `get` against the fake web from another folder.
wheel-check: install
	$(BIN)/pytest -q -m wheel tests/e2e/test_wheel_install.py

# Browser tests write screenshots to build/screenshots; this copies them into docs/.
screenshots: install browser
	$(BIN)/pytest -q tests/e2e/test_browser_pages.py tests/e2e/test_browser_fetch_job.py -k screenshot
	mkdir -p docs/screenshots && cp build/screenshots/*.png docs/screenshots/

# Refresh the vendored Bootstrap CSS from the bootstrap-flask wheel (see imgharvest/web/vendor).
BOOTSTRAP_FLASK := bootstrap-flask==2.6.0
vendor: install
	rm -rf build/vendor && $(BIN)/pip download -q --no-deps --only-binary=:all: "$(BOOTSTRAP_FLASK)" -d build/vendor
	unzip -p build/vendor/*.whl flask_bootstrap/static/bootstrap5/css/bootstrap.min.css \
		| sed '/sourceMappingURL/d' > imgharvest/web/vendor/bootstrap/css/bootstrap.min.css

check: test

bench: install
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
