# VisionSuit, serverless edition. `make dev` runs the platform; `make test` runs every test.
SHELL := /bin/bash
PY ?= $(shell bash scripts/find-python.sh)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev frontend test lint test-unit test-moto test-fuzz test-e2e test-localstack test-s3compat install create-admin package deploy bench clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q "pip<26.3"
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $@

install: $(STAMP)

# The web UI: `npm ci` from the lockfile, type-check and build into frontend/dist (served by `dev`).
frontend:
	@command -v npm >/dev/null || { echo "npm is required to build the web UI (apt-get install npm)"; exit 1; }
	cd frontend && npm ci --no-audit --no-fund && npm run build

dev: $(STAMP) frontend
	$(BIN)/python -m infra.local

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python scripts/run_tests.py

lint: $(STAMP)
	$(BIN)/ruff check .

test-unit: $(STAMP)
	$(BIN)/python scripts/run_tests.py unit

test-moto: $(STAMP)
	$(BIN)/python scripts/run_tests.py integration-moto

test-fuzz: $(STAMP)
	$(BIN)/python scripts/run_tests.py api-fuzz

# The web UI: npm ci + build, vitest, then the browser suite (Debian chromium via playwright-core).
test-e2e: $(STAMP)
	$(BIN)/python scripts/run_tests.py e2e

test-localstack: $(STAMP)
	$(BIN)/python scripts/run_tests.py integration-localstack

# The MinIO path: S3 on SeaweedFS (custom endpoint, path-style, no notifications), events as MinIO webhooks.
test-s3compat: $(STAMP)
	$(BIN)/python scripts/run_tests.py integration-s3compat

# Offline, no credentials: the stateful template, the application template (chalice package of the API
# + functions + SPA hosting) with its code staged in build/app-code, both checked by cfn-lint.
package: $(STAMP)
	@mkdir -p build
	$(BIN)/python -m infra.template > build/stateful.json
	$(BIN)/python -m infra.app_template build
	$(BIN)/cfn-lint build/stateful.json build/app.json
	@echo "wrote build/stateful.json and build/app.json (code in build/app-code)"

# Real AWS account (never CI): see docs/deploy.md. STAGE names the stack (visionsuit-$(STAGE)).
deploy: $(STAMP)
	@test -n "$(STAGE)" || { echo "usage: make deploy STAGE=<name> [ALARM_EMAIL=...] [PUBLIC_URL=...] [ALLOWED_ORIGINS=a,b]"; exit 2; }
	STAGE="$(STAGE)" ALARM_EMAIL="$(ALARM_EMAIL)" PUBLIC_URL="$(PUBLIC_URL)" ALLOWED_ORIGINS="$(ALLOWED_ORIGINS)" bash scripts/deploy.sh

bench: $(STAMP)
	$(BIN)/python -m bench.api_latency
	$(BIN)/python -m bench.hashing
	$(BIN)/python -m bench.thumbnails
	$(BIN)/python -m bench.ingest_latency
	$(BIN)/python -m bench.generation_overhead
	$(BIN)/python -m bench.ops_overhead
	bash scripts/stack/tier2.sh bash -c '$(BIN)/python -m bench.header_read --s3-endpoint $$AWS_ENDPOINT_URL'
	bash scripts/stack/tier2.sh $(BIN)/python -m bench.community_scale --external
	$(BIN)/python -m bench.search_scale  # DynamoDB Local jar from setup.sh (run by tier2.sh above); ~30 min

create-admin: $(STAMP)
	$(BIN)/python -m chalicelib.cli create-admin --dev --email "$(EMAIL)" $(if $(PASSWORD_STDIN),--password-stdin,--generate)

clean:
	rm -rf .data .pytest_cache
