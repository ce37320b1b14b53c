# ShopLab developer targets. `make help` lists them.
SHELL := /bin/bash
GO ?= go
BIN := .bin

.PHONY: help run run-local test vet proto tools build

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

run: ## Run the lab: the compose stack + the services when Docker runs, else local mode
	@if docker compose version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then \
		$(GO) run ./cmd/shoplab up; \
	else \
		echo "Docker (with Compose v2) is not running: starting the lab in local mode (no Grafana)."; \
		$(GO) run ./cmd/shoplab up --local; \
	fi

run-local: ## Run the lab without Docker: the services and an embedded Kafka broker
	$(GO) run ./cmd/shoplab up --local

build: ## Build the shoplab binary into .bin/
	$(GO) build -o $(BIN)/shoplab ./cmd/shoplab

test: vet ## Run every test (vet first)
	$(GO) test -count=1 ./...

vet: ## Static checks
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

tools: ## Install the pinned protoc plugins (versions in go.mod's tool block) into .bin/
	GOBIN=$(CURDIR)/$(BIN) $(GO) install tool

proto: tools ## Regenerate the gRPC code from proto/ (needs protoc: apt install protobuf-compiler)
	PATH=$(CURDIR)/$(BIN):$$PATH protoc -I proto \
		--go_out=proto --go_opt=paths=source_relative \
		--go-grpc_out=proto --go-grpc_opt=paths=source_relative \
		proto/shop/v1/*.proto
