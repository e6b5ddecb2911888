# The two commands: `make run` and `make test`. Everything else is optional.
.DEFAULT_GOAL := help
.PHONY: help install run test lint typecheck migrate metrics test-metrics check-prometheus bench clean

# npm writes node_modules/.package-lock.json at the end of every install, so it
# is newer than package-lock.json exactly when node_modules matches the lock.
DEPS := node_modules/.package-lock.json
# Node 24 from the node@24 dev dependency; the system node may be older.
NODE := node_modules/.bin/node
# Everything tsconfig.json compiles; the directories too, so that adding,
# renaming or deleting a file also rebuilds.
SOURCE_DIRS := src otel tasks test bench
# (The top directories as test/ and bench/: plain `test` and `bench` are targets.)
SOURCES := $(SOURCE_DIRS:%=%/) \
  $(shell find $(SOURCE_DIRS) -mindepth 1 \( -type d -o -name '*.ts' -o -name '*.json' \) 2>/dev/null)
BUILT := dist/.build-stamp

help:
	@echo "make run          start the app (web + worker) on an embedded PostgreSQL (settings: .env)"
	@echo "make test         typecheck, lint and the whole test suite"
	@echo "make migrate      apply database migrations"
	@echo "make metrics      print the local /metrics"
	@echo "make test-metrics check that the metrics move (against make run, or in-process)"
	@echo "make bench        run the benchmarks and rewrite docs/benchmarks.md"

# Installs from the lock file when node_modules is missing or older than it.
$(DEPS): package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(DEPS)

# Compiles only when a source is newer than the last successful build (tsc
# itself is incremental, but still takes a second to find nothing to do).
# The stamp carries the time the build started, so an edit made during it
# still counts as newer.
$(BUILT): $(DEPS) tsconfig.json $(SOURCES)
	@mkdir -p dist && touch $@.next
	$(NODE) node_modules/typescript/bin/tsc -p .
	@mv $@.next $@

# What `npm start` runs, without npm and without the build when nothing changed.
# exec: the shell gives way to node; make waits and passes signals on. (The
# preload turns on Node's compile cache itself: otel/compile-cache.ts.)
run: $(BUILT)
	exec $(NODE) --require ./dist/otel/register.js dist/src/main.js all

test: $(DEPS)
	npm run -s typecheck
	npm run -s lint
	npm test

typecheck: $(DEPS)
	npm run -s typecheck

lint: $(DEPS)
	npm run -s lint

migrate: $(DEPS)
	npm run -s migrate

metrics:
	@curl -fsS http://$${HOST:-127.0.0.1}:$${PORT:-3000}$${METRICS_PATH:-/metrics}

# Against the instance `make run` started when it answers, else in-process.
test-metrics: $(DEPS)
	@url=http://$${HOST:-127.0.0.1}:$${PORT:-3000}; \
	if curl -fs -o /dev/null $$url/healthz; then npm run -s cli -- test-metrics --url $$url; \
	else npm run -s cli -- test-metrics; fi

# Each benchmark with its baseline (about 10 minutes), then docs/benchmarks.md is rewritten.
bench: $(DEPS)
	npm run -s bench:all

# Scrape configs, rules and their unit tests (also part of `make test`).
check-prometheus:
	cd docs/prometheus && promtool check config prometheus.single.yml prometheus.split.yml \
	  && promtool test rules rules/*.test.yml

clean:
	rm -rf dist .test-data
