# touchbase developer tasks. `make test` is what CI runs.
GO        ?= go
FUZZTIME  ?= 30s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: build test lint bench fuzz teams-package

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/touchbase ./cmd/touchbase

test:
	$(GO) test -race -count=1 ./...

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# The figures in the README come from this target: the Go benchmarks into
# bench.txt, then the load generator, then the peer comparison with SQLite
# (bench/, a module of its own so that SQLite never enters touchbase's
# dependencies), which prints one table, loadgen's row included.
# BENCHFLAGS passes flags to it, e.g. BENCHFLAGS="-divide 10" for a quick run.
# The bench hands ImportData the million activities in one call, which
# commits them in chunks of its own.
BENCHFLAGS ?=
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./store/ ./handlers/ ./bot/slack/ | tee bench.txt
	$(GO) run ./cmd/loadgen -concurrency 200 > bench-loadgen.md
	cd bench && $(GO) run . -loadgen ../bench-loadgen.md $(BENCHFLAGS)

# Each fuzz target in turn for FUZZTIME (go test runs one target at a time);
# see .ci/fuzz for what counts as a failure.
fuzz:
	@GO=$(GO) FUZZTIME=$(FUZZTIME) .ci/fuzz

# The Teams app package to upload: make teams-package TEAMS_APP_ID=<the bot's App ID>
teams-package:
	$(GO) run ./cmd/touchbase teams-package --app-id "$(TEAMS_APP_ID)" --out bin/touchbase-teams.zip
