GO ?= go
BIN := bin/countersign

.PHONY: all build demo test check bench fixtures fuzz vet

all: build

build:
	$(GO) build -o $(BIN) ./cmd/countersign

# The main job on built-in defaults.
demo: build
	./$(BIN) demo --out countersign-demo

# What CI runs (.ci/run calls this).
test: check

check: vet
	$(GO) generate ./fixtures/...
	@if [ -n "$$(git status --porcelain -- fixtures/)" ]; then git status --short -- fixtures/ >&2; echo "fixtures drifted from their generator: run 'make fixtures' and commit" >&2; exit 1; fi
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run Allocs ./format/
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime 30s -fuzzminimizetime 1x ./verifier/
	$(GO) test -run '^$$' -fuzz FuzzValidateJSON -fuzztime 10s -fuzzminimizetime 1x ./format/
	$(GO) test -run '^$$' -fuzz FuzzPublicKeyVerify -fuzztime 10s -fuzzminimizetime 1x ./format/

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed" >&2; exit 1)
	$(GO) vet ./...

fixtures:
	$(GO) generate ./fixtures/...

bench: build
	$(GO) run ./cmd/countersign-bench -records 1000000,10000000 -dir bench
