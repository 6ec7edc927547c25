GO ?= go
BIN := bin/countersign

.PHONY: all build install demo test check preflight bench fixtures fuzz vet

all: build

build:
	$(GO) build -o $(BIN) ./cmd/countersign
	$(GO) build -o bin/countersign-demo ./cmd/countersign-demo

# Puts countersign and countersign-demo in $(go env GOBIN), or $(go env GOPATH)/bin.
install:
	$(GO) install ./cmd/countersign ./cmd/countersign-demo

# The main job on built-in defaults.
demo: build
	./bin/countersign-demo --out countersign-demo

# What CI runs (.ci/run calls this).
test: check

check: preflight vet
	$(GO) generate ./fixtures/...
	@drift=$$(git status --porcelain -- fixtures/) || { echo "cannot run git status: the fixture-drift check needs git and a work tree" >&2; exit 1; }; \
	if [ -n "$$drift" ]; then git status --short -- fixtures/ >&2; echo "fixtures drifted from their generator: run 'make fixtures' and commit" >&2; exit 1; fi
	$(GO) test -race -count=1 -timeout 40m ./...
	$(GO) test -count=1 -run Allocs ./internal/strictjson/
	@# Fuzz budgets are execution counts, not durations: Go 1.26's fuzz
	@# coordinator can fail a duration budget with "context deadline exceeded"
	@# at its end on a loaded machine, with no failing input.
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime 40000x -fuzzminimizetime 1x ./verifier/
	$(GO) test -run '^$$' -fuzz FuzzValidateJSON -fuzztime 100000x -fuzzminimizetime 1x ./internal/strictjson/
	$(GO) test -run '^$$' -fuzz FuzzUnquote -fuzztime 100000x -fuzzminimizetime 1x ./internal/strictjson/
	$(GO) test -run '^$$' -fuzz FuzzPublicKeyVerify -fuzztime 40000x -fuzzminimizetime 1x ./format/
	$(GO) test -run '^$$' -fuzz FuzzDecodeJSON -fuzztime 40000x -fuzzminimizetime 1x ./format/
	$(GO) test -run '^$$' -fuzz FuzzBatchVerify -fuzztime 2000x -fuzzminimizetime 1x ./format/
	$(GO) test -run '^$$' -fuzz FuzzBatchWindow -fuzztime 500x -fuzzminimizetime 1x ./verifier/
	$(GO) test -run '^$$' -fuzz FuzzDifferential -fuzztime 200x -fuzzminimizetime 1x ./internal/harness/
	$(GO) test -run '^$$' -fuzz FuzzOpen -fuzztime 2000x -fuzzminimizetime 1x ./enforce/

preflight:
	@sh scripts/preflight

vet:
	@unformatted=$$(gofmt -l .) || { echo "gofmt failed" >&2; exit 1; }; \
	if [ -n "$$unformatted" ]; then echo "$$unformatted"; echo "gofmt needed" >&2; exit 1; fi
	$(GO) mod download || { echo "cannot download the Go modules go.mod names (network, proxy or certificates)" >&2; exit 1; }
	$(GO) mod tidy -diff || { echo "go.mod or go.sum is not tidy: run 'go mod tidy'" >&2; exit 1; }
	$(GO) vet ./...

fixtures:
	$(GO) generate ./fixtures/...

bench: build
	$(GO) run ./cmd/countersign-bench -records 1000000,10000000 -dir bench
	@# The browser on 1 M records: first screen, a key, a filter, peak RSS.
	$(GO) test ./tui -run '^$$' -bench 'BenchmarkBrowse|BenchmarkStoreMemory' -benchtime 1x -timeout 60m
