# clientbook: `make run` builds the warehouse, `make test` runs the test suite. Both set themselves up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LANDING ?= data/landing
WAREHOUSE ?= data/warehouse/clientbook.duckdb
AS_OF ?=
CURRENCY ?= EUR
export DAGSTER_HOME := $(CURDIR)/.dagster

.PHONY: run backfill test query ui check setup demo bench clean help

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP) $(DAGSTER_HOME)/dagster.yaml  ## create the venv and install the pinned dependencies

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $@

demo: setup  ## write the demo extracts into LANDING
	$(BIN)/clientbook demo --out $(LANDING)

run: setup  ## build the warehouse from LANDING (demo extracts when it is empty) and print a summary
	@if [ -z "$$(find $(LANDING) -type f \( -name '*.csv' -o -name '*.parquet' \) 2>/dev/null | head -1)" ]; then \
		echo "no extracts in $(LANDING): generating the demo extracts"; \
		$(BIN)/clientbook demo --out $(LANDING); \
	fi
	$(BIN)/clientbook run --landing $(LANDING) --warehouse $(WAREHOUSE) --currency $(CURRENCY) $(if $(AS_OF),--as-of $(AS_OF))

backfill: setup  ## rebuild the month partitions FROM=YYYY-MM TO=YYYY-MM of WAREHOUSE from LANDING, then publish
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make backfill FROM=YYYY-MM TO=YYYY-MM"; exit 2; }
	$(BIN)/clientbook backfill --landing $(LANDING) --warehouse $(WAREHOUSE) --from $(FROM) --to $(TO) \
		--currency $(CURRENCY) $(if $(AS_OF),--as-of $(AS_OF))

test: setup  ## run the whole test suite
	$(BIN)/python -m pytest -q

bench: setup  ## the scale benchmark against the DuckDB floor, as docs/benchmarks.md was measured (SETS="1m 10m"; add 30m for hours more)
	bench/run --sets $(or $(SETS),1m 10m) --rounds 3 --large-rounds 1 --extras-set 1m

query: setup  ## open WAREHOUSE in a read-only, sandboxed DuckDB shell (docs/analysts.md)
	@$(BIN)/clientbook query --warehouse $(WAREHOUSE)

ui: setup  ## open the Dagster UI on http://127.0.0.1:3000
	@# runs need the pseudonym key: the environment's, else the one `clientbook run` created beside the warehouse
	CLIENTBOOK_PSEUDONYM_KEY="$${CLIENTBOOK_PSEUDONYM_KEY:-$$(cat $(dir $(WAREHOUSE)).pseudonym.key 2>/dev/null)}" \
		$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -m pipelines.definitions

check: setup  ## lint Python and SQL, and validate the Dagster definitions
	$(BIN)/ruff check .
	$(BIN)/sqlfluff lint warehouse/sql
	$(BIN)/dg check defs

clean:  ## remove the venv, the Dagster instance and generated data
	rm -rf $(VENV) .dagster/storage .dagster/history .dagster/schedules data
