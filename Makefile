# streak-repair: the targets CI and developers run. `make test` is exactly what CI runs.
CARGO ?= cargo
BIN := target/release/streak-repair
SMALL := testdata/small
GENERATED := testdata/generated

CHROMIUM ?= chromium

.PHONY: build demo test lint browser moto otlp-deps sql-test testdata traces-small traces-fault bench bench-data bench-trace bench-trace-data rank-eval fuzz drill clean

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
	$(CARGO) clippy --locked --workspace --all-targets --features fuzzing -- -D warnings

## Headless Chromium for the HTML report test (Debian's package, installed when missing).
browser:
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the HTML report test"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

## moto's S3 and Athena servers for the AWS tests (PyPI moto[server], in .venv; the tests
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
## scanners (tests/sql_check.py with target/debug/streak-repair; tests/alb_sql_check.py with
## target/debug/reqtrace).
sql-test: $(SQL_DEPS)
	$(CARGO) build --locked
	.venv/bin/python tests/sql_check.py
	.venv/bin/python tests/alb_sql_check.py

## The official OTLP protobuf definitions (PyPI opentelemetry-proto, pinned) for the
## reqtrace export test (tests/otlp_check.py), in the same .venv.
OTLP_PROTO_VERSION := 1.45.2
OTLP_DEPS := .venv/.otlp-deps-$(OTLP_PROTO_VERSION)
otlp-deps: $(OTLP_DEPS)
$(OTLP_DEPS):
	test -x .venv/bin/python || python3 -m venv .venv
	.venv/bin/pip install --quiet 'opentelemetry-proto==$(OTLP_PROTO_VERSION)'
	touch $@

## Regenerate the two injected-fault cases `rank` is tested on (testdata/traces/fault/).
FAULT_GEN := --services 8 --requests 160 --from 2025-06-02T09:00:00Z --duration 10m --seed 7 \
	--fault-from 2025-06-02T09:05:00Z --fault-to 2025-06-02T09:10:00Z
traces-fault:
	rm -rf testdata/traces/fault/slow testdata/traces/fault/failing
	$(CARGO) run --locked --example gen_traffic -- --out testdata/traces/fault/slow $(FAULT_GEN) --slow profile
	$(CARGO) run --locked --example gen_traffic -- --out testdata/traces/fault/failing $(FAULT_GEN) \
	  --failing stories --fail-rate 0.3

## `reqtrace rank` on every labelled case of RANK_DATA (a folder in Nezha's layout) beside
## the mean-duration baseline, measured in the same run; writes bench/results-rank.md.
RANK_DATA ?= ../shared/traces/nezha-trainticket
rank-eval:
	$(CARGO) build --release --locked --bin reqtrace
	target/release/reqtrace rank-eval $(RANK_DATA) --markdown bench/results-rank.md

## Regenerate the hand-checked tracing case (review the diff against its README).
traces-small:
	$(CARGO) run --locked --example gen_traffic -- --out testdata/traces/small/logs \
	  --truth testdata/traces/small/truth.jsonl --services 8 --requests 3 \
	  --from 2025-06-02T09:58:00Z --duration 4m --seed 1125 --cut-share 0.06 \
	  --duplicate-share 0.25 --late-share 0

## Format check, clippy with warnings as errors, then every test.
test: lint browser moto $(OTLP_DEPS)
	$(CARGO) test --locked --features fuzzing
	$(CARGO) test --locked -p brb-client
	$(MAKE) --no-print-directory sql-test

## Coverage-guided fuzzing (cargo-fuzz on the nightly toolchain, installed when missing):
## each target for FUZZ_SECONDS from fuzz/seeds. A crash is left in fuzz/artifacts/<target>/;
## fix it and copy the input to fuzz/regressions/<target>/, which `make test` replays.
FUZZ_TARGETS := log_line query incident tables
FUZZ_SECONDS ?= 60
fuzz:
	command -v cargo-fuzz >/dev/null 2>&1 || $(CARGO) install --locked cargo-fuzz
	set -e; cd fuzz; for t in $(FUZZ_TARGETS); do mkdir -p corpus/$$t; \
	  $(CARGO) +nightly fuzz run $$t corpus/$$t seeds/$$t $$(ls -d regressions/$$t 2>/dev/null) \
	    -- -max_total_time=$(FUZZ_SECONDS) -max_len=65536; done

## Regenerate the generated incident and its expected outputs (review the diff).
testdata: build $(SQL_DEPS)
	rm -rf $(GENERATED)/logs
	$(CARGO) run --release --locked --example gen_incident -- --out $(GENERATED) --learners 2000 --gzip --seed 20261120
	$(BIN) replay $(GENERATED) --update
	$(CARGO) build --locked
	.venv/bin/python tests/sql_check.py --write-results testdata/small

## Benchmark data from the project's generator (deterministic; ~5 GB of disk while made).
## single: the first 2 GiB of a generated day for 2 million learners (cut at a line end),
## with their learners and calendars as Parquet; small-files: the first 4,000 of 13,000
## objects of the same day, as S3 delivers them.
BENCH := bench/data
GEN := target/release/examples/gen_incident --learners 2000000 --target-bytes 2Gi --poll-share 0.25 --seed 5
bench-data:
	$(CARGO) build --release --locked --example gen_incident
	test -f $(BENCH)/single/.done || { rm -rf $(BENCH)/single && $(GEN) --files 1 --parquet --out $(BENCH)/single \
	  && rm $(BENCH)/single/calendars.csv \
	  && f=$$(ls $(BENCH)/single/logs/*) && head -c 2147483648 "$$f" | sed '$$d' > "$$f.cut" && mv "$$f.cut" "$$f" \
	  && touch $(BENCH)/single/.done; }
	test -f $(BENCH)/half/.done || { rm -rf $(BENCH)/half && mkdir -p $(BENCH)/half/logs \
	  && f=$$(ls $(BENCH)/single/logs/*) && sed -n 'p;n' "$$f" > $(BENCH)/half/logs/$$(basename "$$f") \
	  && touch $(BENCH)/half/.done; }
	test -f $(BENCH)/small-files/.done || { rm -rf $(BENCH)/small-files && $(GEN) --files 13000 --out $(BENCH)/small-files \
	  && rm $(BENCH)/small-files/calendars.csv $(BENCH)/small-files/learners.csv \
	  && ls $(BENCH)/small-files/logs | sort | tail -n +4001 | sed 's|^|$(BENCH)/small-files/logs/|' | xargs rm -f \
	  && touch $(BENCH)/small-files/.done; }

## wc -l, cat, DuckDB (PyPI, pinned) and streak-repair scan/plan on the same data,
## interleaved, median of 5: prints the table and writes bench/results.md (several minutes;
## not part of make test). BASELINE=path/to/streak-repair also runs an earlier build in the
## same rounds, for before/after ratios. Criterion micro-benchmarks: cargo bench --bench stages.
BASELINE ?=
bench: bench-data bench-trace-data $(SQL_DEPS)
	$(CARGO) build --release --locked --bin streak-repair
	.venv/bin/python bench/bench.py --runs 5 $(if $(BASELINE),--baseline $(BASELINE))
	$(MAKE) --no-print-directory bench-trace

## reqtrace's benchmark data from examples/gen_traffic.rs (deterministic; ~2.2 GB of disk,
## about a minute): traces/all/logs: ~1 GiB of plain ALB logs, one hour of 56,000 requests
## through 30 services (the generator's gzip objects, unzipped; 1% of objects delivered
## twice, 1% of lines late, 2% of hops cut), with the generator's edges.json and root.txt
## (the middle request's Root); traces/half/logs: every other line of each of those files.
TRACES := $(BENCH)/traces
TRACE_GEN := target/release/examples/gen_traffic --requests 56000 --services 30 \
	--from 2025-06-02T09:00:00Z --duration 1h --seed 5
bench-trace-data:
	$(CARGO) build --release --locked --example gen_traffic
	test -f $(TRACES)/all/.done || { rm -rf $(TRACES)/all $(TRACES)/half \
	  && $(TRACE_GEN) --out $(TRACES)/all/logs --truth $(TRACES)/all/truth.jsonl \
	  && sed -n '28000{s/^{"root":"\([^"]*\)".*/\1/p;q}' $(TRACES)/all/truth.jsonl > $(TRACES)/all/root.txt \
	  && test -s $(TRACES)/all/root.txt && rm $(TRACES)/all/truth.jsonl \
	  && find $(TRACES)/all/logs -name '*.log.gz' -exec gunzip {} + \
	  && touch $(TRACES)/all/.done; }
	test -f $(TRACES)/half/.done || { rm -rf $(TRACES)/half \
	  && cd $(TRACES)/all/logs && find . -type f -name '*.log' | sort | while read -r f; do \
	    mkdir -p ../../half/logs/$$(dirname "$$f") && sed -n 'p;n' "$$f" > ../../half/logs/"$$f" || exit 1; done \
	  && touch ../../half/.done; }

## grep -rF ROOT against reqtrace show ROOT, wc -l against reqtrace deps over the whole
## hour (both on traces/all), and deps' peak RSS on all against half: warm page cache,
## interleaved, median of 5; prints the table and rewrites only the reqtrace section of
## bench/results.md (a few minutes). REQTRACE_BASELINE=path/to/reqtrace also runs an
## earlier build in the same rounds.
REQTRACE_BASELINE ?=
bench-trace: bench-trace-data
	$(CARGO) build --release --locked --bin reqtrace
	python3 bench/reqtrace.py --runs 5 $(if $(REQTRACE_BASELINE),--baseline $(REQTRACE_BASELINE))

## The large drill (tests/drill.rs): DRILL_LEARNERS simulated learners through the
## switch, the client library, a recording proxy in front of moto, and the repair job;
## prints the comparison with the drill's ground truth and its scale. `make test` runs
## a small one.
DRILL_LEARNERS ?= 3000
drill: moto
	DRILL_LEARNERS=$(DRILL_LEARNERS) $(CARGO) test --release --locked --test drill -- --ignored --nocapture

clean:
	rm -rf out target .venv
