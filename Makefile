# ledger-export: the README's two set-up commands are `make run` and `make test`.
GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
export JAVA_TOOL_OPTIONS ?= -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC

.PHONY: run test faults lint ci clean

## run: a real export on this machine: embedded FerretDB, the Firestore emulator and the fake Drive, all local
run:
	$(GO) run ./function/cmd/local -dir .local

## test: unit and integration tests with -race against the real emulator, FerretDB and the fake Drive
test:
	$(GO) test -race -count=1 -timeout 15m ./...

## faults: the whole fault-injection matrix (10 trials per fault, on a clock sized from a measured clean run) and
#  its results table; narrow or vary it with FAULTS_FLAGS, e.g. FAULTS_FLAGS="-only healing -format xlsx"
FAULTS_FLAGS ?=
faults:
	$(GO) run ./internal/faults/cmd/faults -trials 10 $(FAULTS_FLAGS)

## lint: gofmt, go vet and staticcheck must be clean
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags benchlean ./internal/bench/...
	$(GO) run $(STATICCHECK) ./...

## ci: what .ci/run runs
ci: lint test bench-smoke deploy-check quality

clean:
	rm -rf .local dist

include scripts/deploy.mk
include scripts/quality.mk
include scripts/bench.mk
