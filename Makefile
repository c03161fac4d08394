# The supervision platform: one Makefile for installing, running, testing and measuring the suite.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PACKAGES := shared/schemas shared/runtime gateway $(wildcard services/*-svc)
ONLY ?=

.DEFAULT_GOAL := help

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

install: $(BIN)/python ## Build the virtual environment from the lock (fresh machine: Python 3.11+ only)
	$(BIN)/uv pip install --python $(BIN)/python --quiet -r requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --quiet --no-deps $(foreach p,$(PACKAGES),-e $(p))

lock: $(BIN)/python ## Re-pin third-party versions in requirements.lock
	$(BIN)/uv pip compile requirements.in -o requirements.lock --python-version 3.11 --no-header

up: ## Start PostgreSQL, Redis, Kafka, all services and the gateway (127.0.0.1:8000); wait until ready
	$(BIN)/platformctl up

down: ## Stop everything started by `make up` (PostgreSQL data is kept)
	$(BIN)/platformctl down

status: ## Show what runs where
	$(BIN)/platformctl status

migrate: ## Apply every service's migrations
	$(BIN)/platformctl migrate

events: ## Export all topics and event types as AsyncAPI (shared/schemas/asyncapi.json)
	$(BIN)/supervision-schemas export -o shared/schemas/asyncapi.json

lint: ## Format check, ruff and the architecture lint
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python -m tests.lint_architecture

format: ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: ## mypy over the runtime, schemas, gateway and services
	$(BIN)/mypy shared/runtime/src shared/schemas/src gateway/src $(wildcard services/*-svc/src)

test: ## Run unit, contract and end-to-end tests on real servers (started if none run)
	$(BIN)/pytest

test-unit: ## Tests that need no running services
	$(BIN)/pytest -m "not e2e"

test-e2e: ## End-to-end tests only
	$(BIN)/pytest -m e2e

bench: ## Benchmarks against in-run baselines (ONLY=<prefix> for a subset); bench-results/latest.jsonl
	$(BIN)/python -m bench $(if $(ONLY),--only $(ONLY),)

.PHONY: help install lock up down status migrate events lint format typecheck test test-unit test-e2e bench
