# VisionSuit, serverless edition. `make dev` runs the platform; `make test` runs every test.
SHELL := /bin/bash
PY ?= $(shell bash scripts/find-python.sh)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test test-unit test-moto test-localstack install create-admin clean

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q "pip<26.3"
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $@

install: $(STAMP)

dev: $(STAMP)
	$(BIN)/python -m infra.local

test: $(STAMP)
	bash scripts/test.sh

test-unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

test-moto: $(STAMP)
	$(BIN)/python -m pytest tests/integration

test-localstack: $(STAMP)
	bash scripts/stack/tier2.sh $(BIN)/python -m pytest tests/integration

create-admin: $(STAMP)
	$(BIN)/python -m chalicelib.cli create-admin --dev --email "$(EMAIL)" $(if $(PASSWORD_STDIN),--password-stdin,--generate)

clean:
	rm -rf .data .pytest_cache
