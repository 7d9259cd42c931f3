# The two commands a newcomer needs: `make run` and `make test`.
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
BENCHCOUNT  ?= 6

FUZZTIME    ?= 30s
SOAKFLAGS   ?= -conns 10000 -duration 60s -server child

.PHONY: all run test lint fmt bench fuzz soak

all: fmt lint test

## run: the chat server (Qt's simplechat) with its page on http://localhost:1234/
run:
	$(GO) run ./cmd/chatserver -a localhost

## test: vet, every test with the race detector, then the browser test and
## the differential tests against real Qt 6 (each its own module)
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	cd test/browser && $(GO) vet ./... && $(GO) test -count=1 -timeout 2m ./...
	cd test/qtdiff && $(GO) vet ./... && $(GO) test -count=1 -timeout 10m ./...

## lint: gofmt (nothing to change), go vet and staticcheck (pinned)
lint:
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd test/browser && $(GO) run $(STATICCHECK) ./...
	cd test/qtdiff && $(GO) run $(STATICCHECK) ./...

## fmt: gofmt -s and go mod tidy
fmt:
	gofmt -s -w .
	$(GO) mod tidy
	cd test/browser && $(GO) mod tidy
	cd test/qtdiff && $(GO) mod tidy

## bench: the Go micro-benchmarks (-count=$(BENCHCOUNT), for benchstat), then
## cmd/wsbench against cmd/echoserver in the anchors' four settings
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./...
	COUNT=$(BENCHCOUNT) ./scripts/bench-echo.sh

## fuzz: every fuzz target for $(FUZZTIME) each (CI runs a few seconds)
fuzz:
	for t in $$($(GO) test -list '^Fuzz' ./wsserver | grep '^Fuzz'); do \
		$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 50x ./wsserver || exit 1; \
	done

## soak: cmd/wssoak, 10,000 connections with traffic for 60 s against the echo
## server in a child process (not part of test; SOAKFLAGS changes the run)
soak:
	$(GO) run ./cmd/wssoak $(SOAKFLAGS)
