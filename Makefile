# Meridian's make targets are its developer interface:
#   make run     run a dev server on 127.0.0.1:7233
#   make test    go vet + every test (on a local Cassandra it starts and stops)
#   make test-python     the Python SDK suite alone (tests/python; needs python3 >= 3.10)
#   make temporal-cli    install the pinned official `temporal` CLI (tests/temporalcli) and print its path
#   make build   bin/meridian
#   make lint    golangci-lint (pinned, installed into ./bin)
#   make proto   regenerate the committed gRPC/protobuf code (pinned tools)
#   make bench   benchmark suite on a fresh dev server (benchmarks/results/<date>/)
#   make fmt     gofmt every Go file
#   make cassandra-up    start the local test Cassandra (127.0.0.1:9042) and leave it running
#   make cassandra-down  stop it
#   make bench-cassandra Cassandra persistence benchmarks on a local node

GO       ?= go
BIN      := $(CURDIR)/bin
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X github.com/meridian-dev/meridian/tools/cli.version=$(VERSION)

# Tests run against real services and take a while: a generous timeout.
TEST_TIMEOUT ?= 40m
# The local Cassandra that `make test` provisions (deploy/cassandra/cassandra.sh):
# its node name and CQL port. Tests find it through MERIDIAN_CASSANDRA.
CASSANDRA_NAME         ?= test
CASSANDRA_CQL_PORT     ?= 9042
CASSANDRA_STORAGE_PORT ?= 7000
CASSANDRA_ENV          := MERIDIAN_CASSANDRA_NAME=$(CASSANDRA_NAME) MERIDIAN_CASSANDRA_CQL_PORT=$(CASSANDRA_CQL_PORT) \
	MERIDIAN_CASSANDRA_STORAGE_PORT=$(CASSANDRA_STORAGE_PORT)
# Runs a command with that node started and MERIDIAN_CASSANDRA set, then
# stops the node (unless another run still uses it), keeping the exit code.
WITH_CASSANDRA         := $(CASSANDRA_ENV) MERIDIAN_CASSANDRA=127.0.0.1:$(CASSANDRA_CQL_PORT) deploy/cassandra/with-cassandra.sh
# Where `make run` keeps its data across restarts.
RUN_DATA_DIR ?= $(HOME)/.local/share/meridian/dev
# Extra flags for `make run`, e.g. make run RUN_ARGS="--metrics-port 9090 --pprof".
RUN_ARGS     ?=

# Pinned tool versions. `go install` fetches them from the Go module proxy
# into ./bin; bump a version here to upgrade it everywhere.
GOLANGCI_LINT_VERSION      := v2.15.0
BUF_VERSION                := v1.50.0
PROTOC_GEN_GO_VERSION      := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1

# Each tool is installed once per pinned version; the stamp file records it.
GOLANGCI_LINT      := $(BIN)/golangci-lint
GOLANGCI_LINT_STAMP := $(BIN)/.golangci-lint-$(GOLANGCI_LINT_VERSION)
BUF_STAMP          := $(BIN)/.buf-$(BUF_VERSION)
PROTOC_GEN_GO_STAMP := $(BIN)/.protoc-gen-go-$(PROTOC_GEN_GO_VERSION)
PROTOC_GEN_GO_GRPC_STAMP := $(BIN)/.protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION)

.DEFAULT_GOAL := help
.PHONY: help check-go run build test test-python temporal-cli lint proto bench fmt cassandra-up cassandra-down bench-cassandra

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

# Every target that runs Go depends on this, so a machine without Go gets a
# clear message instead of "make: go: No such file or directory".
check-go:
	@command -v $(GO) >/dev/null 2>&1 || { \
		echo "error: '$(GO)' was not found in PATH." >&2; \
		echo "Meridian needs Go $$(sed -n 's/^go //p' go.mod) or newer: install it from https://go.dev/dl/ and retry." >&2; \
		exit 1; }

# `make run` keeps its data in RUN_DATA_DIR across restarts (a bare
# `meridian server start-dev` uses a throwaway temporary directory).
run: check-go
	$(GO) run -ldflags "$(LDFLAGS)" ./cmd/meridian server start-dev --ip 127.0.0.1 --port 7233 --data-dir $(RUN_DATA_DIR) $(RUN_ARGS)

build: check-go
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN)/meridian ./cmd/meridian

# The Cassandra persistence tests need a real node: cassandra-up starts it
# (a no-op when it runs) and vet and the tests run through
# with-cassandra.sh, which exports MERIDIAN_CASSANDRA and stops the node
# afterwards, on failure too (MERIDIAN_CASSANDRA_KEEP=1 keeps it running).
# The SDK end-to-end suite runs twice: on the embedded store with the rest,
# then with every test server on Cassandra (MERIDIAN_SDK_STORE=cassandra);
# so does the temporal CLI suite.
# tests/temporalcli runs the official `temporal` CLI named by
# MERIDIAN_TEMPORAL_CLI, installed first by tools/temporalcli.sh (once).
test: check-go cassandra-up
	cli="$$(GO="$(GO)" tools/temporalcli.sh)" && MERIDIAN_TEMPORAL_CLI="$$cli" $(WITH_CASSANDRA) sh -c '$(GO) vet ./... && $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./... && \
		MERIDIAN_SDK_STORE=cassandra $(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./tests/sdk/ ./tests/temporalcli/'
	$(MAKE) --no-print-directory test-python

# The Python SDK suite: the official `temporalio` package's workers and
# clients against a dev server it builds from this tree (tests/python/README.md).
# run.sh makes its virtualenv from the pinned tests/python/requirements.txt
# (cached under ~/.cache/meridian, reused while the file is unchanged) and
# needs python3 >= 3.10, but no Cassandra: `make test` runs it last.
# PYTEST_ARGS passes arguments to pytest, e.g. PYTEST_ARGS="-k legal -v".
test-python: check-go
	GO="$(GO)" tests/python/run.sh $(PYTEST_ARGS)

# The official `temporal` CLI (github.com/temporalio/cli, an external tool)
# at the version tools/temporalcli.sh pins, built once from the Go module
# proxy into ~/.cache/meridian/tools/temporal-<version>/.
temporal-cli: check-go
	@GO="$(GO)" tools/temporalcli.sh

cassandra-up:
	$(CASSANDRA_ENV) deploy/cassandra/cassandra.sh start

cassandra-down:
	$(CASSANDRA_ENV) deploy/cassandra/cassandra.sh stop

bench-cassandra: check-go cassandra-up
	$(WITH_CASSANDRA) $(GO) test -run='^$$' -bench=. -benchmem -timeout $(TEST_TIMEOUT) ./persistence/cassandra/

# The standard suite of benchmarks/suite.sh: a fresh `start-dev` on a
# durable temporary data dir, `meridian bench` with the SDK worker (100 and
# 1 in flight) and the lean driver (200 in flight), and the driver's own
# ceiling on the in-process fake server; JSON, SVG and summary.md land in
# benchmarks/results/<UTC date>/ (about two minutes; docs/benchmarks.md).
# Go benchmarks: go test -run='^$' -bench=. ./benchmarks/...
bench: build
	benchmarks/suite.sh $(BIN)/meridian

fmt: check-go
	gofmt -w $$(find . -name '*.go' -not -path './.git/*' -not -path './bin/*' -not -path './proto/.deps/*')

lint: check-go $(GOLANGCI_LINT_STAMP)
	$(GOLANGCI_LINT) run ./...

# proto/.deps holds the Temporal API protos our protos import; it is
# exported from the go.temporal.io/api version go.mod pins, not committed.
proto: check-go $(BUF_STAMP) $(PROTOC_GEN_GO_STAMP) $(PROTOC_GEN_GO_GRPC_STAMP)
	rm -rf proto/.deps
	$(GO) run ./tools/protoexport proto/.deps
	PATH="$(BIN):$$PATH" $(BIN)/buf generate --path proto/meridian

$(GOLANGCI_LINT_STAMP): | check-go
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	@touch $@

$(BUF_STAMP): | check-go
	GOBIN=$(BIN) $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	@touch $@

$(PROTOC_GEN_GO_STAMP): | check-go
	GOBIN=$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	@touch $@

$(PROTOC_GEN_GO_GRPC_STAMP): | check-go
	GOBIN=$(BIN) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	@touch $@
