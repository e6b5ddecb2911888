# The two commands: `make run` and `make test`. Everything else is optional.
.DEFAULT_GOAL := help
.PHONY: help install run test lint typecheck migrate metrics test-metrics check-prometheus bench clean

DEPS := node_modules/.deps-installed

help:
	@echo "make run          start the app (web + worker) on an embedded PostgreSQL"
	@echo "make test         typecheck, lint and the whole test suite"
	@echo "make migrate      apply database migrations"
	@echo "make metrics      print the local /metrics"
	@echo "make test-metrics check that the metrics move (against make run, or in-process)"
	@echo "make bench        run the benchmarks and rewrite docs/benchmarks.md"

# Installs from the lock file when node_modules is missing or older than it.
$(DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(DEPS)

run: $(DEPS)
	npm start

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
