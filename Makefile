VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: run test lint bench system-deps install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -U pip setuptools wheel
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

## Install and start the service on the embedded default (chDB + private Redis, ./data).
## Loopback is allow-listed for outbound robots/webhooks so `dealsignal demo` can show its
## WeCom alert on a local receiver; production keeps the default (private addresses refused).
run: export DEALSIGNAL_WEBHOOKS__ALLOW_PRIVATE ?= ["127.0.0.1/32"]
## `dealsignal demo` replays minutes of reading in seconds; production bounds a visit's dwell
## by its wall clock (+15 s), which would count only the first seconds of the replay.
run: export DEALSIGNAL_INGEST__DWELL_CLOCK_SLACK_SECONDS ?= 86400
run: $(STAMP)
	@echo "dealsignal on http://127.0.0.1:8000 (docs at /docs); data under ./data"
	$(BIN)/dealsignal serve --host 127.0.0.1 --port 8000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Install everything and run the whole suite (lint, types, tests). Exit 5 = no tests.
test: $(STAMP) system-deps lint
	$(BIN)/pytest -q -p no:cacheprovider; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ] || exit $$rc

bench: $(STAMP)
	@for script in load_tests/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
