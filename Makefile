# ShopLab developer targets. `make help` lists them.
SHELL := /bin/bash
GO ?= go
BIN := .bin

.PHONY: help run run-local test vet proto tools build

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

# run and run-local exec the built binary rather than `go run`: on Ctrl-C
# the lab stops gracefully and exits 0, and make then prints no error
# (`go run` turns the interrupt into "exit status 1", which make reports).
run: build ## Run the lab: the compose stack + the services when Docker runs, else local mode
	@if docker compose version >/dev/null 2>&1 && docker info >/dev/null 2>&1; then \
		exec $(BIN)/shoplab up; \
	else \
		echo "Docker (with Compose v2) is not running: starting the lab in local mode (no Grafana)."; \
		exec $(BIN)/shoplab up --local; \
	fi

run-local: build ## Run the lab without Docker: the services and an embedded Kafka broker
	@exec $(BIN)/shoplab up --local

build: ## Build the shoplab binary into .bin/
	$(GO) build -o $(BIN)/shoplab ./cmd/shoplab

# The packages that run goroutines against each other: their tests run a
# second time under the race detector.
RACE_PKGS := ./services/... ./internal/outbox/ ./internal/events/ ./internal/load/ ./internal/lab/

test: vet ## Run every test (vet first), the concurrent packages again with -race, and each fuzz target briefly
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race $(RACE_PKGS)
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(TEST_FUZZTIME)

# `make test` gives each fuzz target a few seconds (new inputs beyond the
# committed seed corpora); `make fuzz` is the longer hunt.
TEST_FUZZTIME ?= 4s
FUZZTIME ?= 2m

.PHONY: fuzz
fuzz: ## Run every Go fuzz target for FUZZTIME each (default 2m); a crasher is saved under testdata/fuzz/
	@set -e; for f in $$(git ls-files '*_test.go' 2>/dev/null || find . -name '*_test.go'); do \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "fuzz: $$t in ./$$(dirname $$f) for $(FUZZTIME)"; \
			$(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) ./$$(dirname $$f); \
		done; \
	done

vet: ## Static checks
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

.PHONY: bench
bench: ## Benchmark shoplab load against vegeta on a trivial local endpoint (~8-15 min; bench/README.md)
	bash bench/run.sh

tools: ## Install the pinned protoc plugins (versions in go.mod's tool block) into .bin/
	GOBIN=$(CURDIR)/$(BIN) $(GO) install tool

# Any protoc from 3.21 on works (protoc numbers its releases 22, 23, ...
# since 3.21): the generated code does not depend on it, and the test in
# proto/ ignores the header line that names it.
proto: tools ## Regenerate the gRPC code from proto/ (needs protoc >= 3.21 and its well-known types: apt install protobuf-compiler libprotobuf-dev)
	@v=$$(protoc --version 2>/dev/null | awk '{print $$2}'); \
	if [ -z "$$v" ]; then echo "protoc is not installed: apt install protobuf-compiler libprotobuf-dev (brew install protobuf)"; exit 1; fi; \
	major=$${v%%.*}; rest=$${v#*.}; minor=$${rest%%.*}; \
	if [ "$$major" -lt 3 ] || { [ "$$major" -eq 3 ] && [ "$$minor" -lt 21 ]; }; then \
		echo "protoc $$v is too old: ShopLab needs 3.21 or newer"; exit 1; fi
	PATH=$(CURDIR)/$(BIN):$$PATH protoc -I proto \
		--go_out=proto --go_opt=paths=source_relative \
		--go-grpc_out=proto --go-grpc_opt=paths=source_relative \
		proto/shop/v1/*.proto

# The dashboards are Go (internal/dashboards/build, Grafana's Foundation
# SDK); the JSON stays committed for provisioning, and a test fails when it
# differs from what the code generates.
.PHONY: dashboards
dashboards: ## Regenerate dashboards/*.json from internal/dashboards/build
	$(GO) test -count=1 -run '^TestCommittedDashboardsAreGenerated$$' ./internal/dashboards -update

# ---- Development helpers (docs/article.md, "The developer tools") -----------
AIR_VERSION := v1.67.4
SERVICES := gateway auth catalog orders notification

.PHONY: dev dev-tools diagram

dev-tools: ## Install air (hot reload) into .bin/, and say whether direnv is there
	GOBIN=$(CURDIR)/$(BIN) $(GO) install github.com/air-verse/air@$(AIR_VERSION)
	@command -v direnv >/dev/null 2>&1 || echo "direnv is not installed: see docs/article.md (apt/brew/winget install direnv)"

dev: ## Hot reload with air: the whole shop, or one service with SERVICE=catalog
	@air=$$(command -v air 2>/dev/null || echo "$(CURDIR)/$(BIN)/air"); \
	if [ ! -x "$$air" ]; then echo "air is not installed: run 'make dev-tools'"; exit 1; fi; \
	if [ -z "$(SERVICE)" ]; then exec "$$air" -c .air.toml; fi; \
	case " $(SERVICES) " in \
		*" $(SERVICE) "*) exec "$$air" -c .air/$(SERVICE).toml ;; \
		*) echo "SERVICE must be one of: $(SERVICES)"; exit 2 ;; \
	esac

# The SVG carries the SHA-256 of the .dot it was rendered from; a test in
# docs/ compares it, so a stale diagram fails `make test`.
diagram: ## Render docs/architecture.svg from docs/architecture.dot (needs Graphviz)
	@command -v dot >/dev/null 2>&1 || { echo "Graphviz is not installed: apt install graphviz (brew install graphviz)"; exit 1; }
	dot -Tsvg docs/architecture.dot -o docs/architecture.svg.tmp
	@sum=$$(sha256sum docs/architecture.dot 2>/dev/null || shasum -a 256 docs/architecture.dot); \
	awk -v c="<!-- source-sha256: $${sum%% *} -->" 'NR == 1 { print; print c; next } { print }' \
		docs/architecture.svg.tmp > docs/architecture.svg
	@rm -f docs/architecture.svg.tmp
	@echo "docs/architecture.svg rendered from docs/architecture.dot"
