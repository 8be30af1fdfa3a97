# streak-repair: the targets CI and developers run. `make test` is exactly what CI runs.
CARGO ?= cargo
BIN := target/release/streak-repair
SMALL := testdata/small
GENERATED := testdata/generated

CHROMIUM ?= chromium

.PHONY: build demo test lint browser moto sql-test testdata clean

build:
	$(CARGO) build --release --locked

## Run the job on the bundled, hand-checked sample incident and print its summary.
demo: build
	$(BIN) plan --incident $(SMALL)/incident.toml --logs $(SMALL)/logs \
		--learners $(SMALL)/learners.csv --calendars $(SMALL)/calendars.csv --out out/demo
	@echo
	@echo "manifest: out/demo/manifest.jsonl (first 3 actions)"
	@head -n 3 out/demo/manifest.jsonl
	@echo
	$(BIN) replay $(SMALL)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

## Headless Chromium for the HTML report test (Debian's package, installed when missing).
browser:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the HTML report test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

## moto's S3-protocol server for the S3 tests (PyPI moto[server], in .venv; the tests
## start it on a free loopback port and stop it).
MOTO := .venv/bin/moto_server
moto: $(MOTO)
$(MOTO):
	python3 -m venv .venv
	.venv/bin/pip install --quiet 'moto[server]==5.2.5'

## DuckDB and sqlglot (PyPI, pinned) for the SQL test, in the same .venv; the stamp file
## names the pins, so changing one reinstalls.
DUCKDB_VERSION := 2.0.0
SQLGLOT_VERSION := 30.30.0
SQL_DEPS := .venv/.sql-deps-duckdb-$(DUCKDB_VERSION)-sqlglot-$(SQLGLOT_VERSION)
$(SQL_DEPS):
	test -x .venv/bin/python || python3 -m venv .venv
	.venv/bin/pip install --quiet 'duckdb==$(DUCKDB_VERSION)' 'sqlglot==$(SQLGLOT_VERSION)'
	touch $@

## The Athena SQL in sql/, transpiled to DuckDB and run over testdata/ against the Rust
## scanner (tests/sql_check.py; it runs target/debug/streak-repair).
sql-test: $(SQL_DEPS)
	$(CARGO) build --locked
	.venv/bin/python tests/sql_check.py

## Format check, clippy with warnings as errors, then every test.
test: lint browser moto
	$(CARGO) test --locked
	$(MAKE) --no-print-directory sql-test

## Regenerate the generated incident and its expected outputs (review the diff).
testdata: build $(SQL_DEPS)
	rm -rf $(GENERATED)/logs
	$(CARGO) run --release --locked --example gen_incident -- --out $(GENERATED) --learners 2000 --gzip --seed 20261120
	$(BIN) replay $(GENERATED) --update
	.venv/bin/python tests/sql_check.py --write-results testdata/small

clean:
	rm -rf out target .venv
