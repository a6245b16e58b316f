# Quality checks of issue 7: the CSV in a real spreadsheet, fuzzing, and known vulnerabilities. Included by the
# top-level Makefile (`include scripts/quality.mk`); also usable alone: make -f scripts/quality.mk TARGET.
#
#   make spreadsheet-check   install LibreOffice Calc when missing (Debian, as root), then open the encoder's CSV
#                            of the hostile payload corpus in it and check every cell (go run ./scripts/spreadsheet)
#   make fuzz-smoke          every Go fuzz target for FUZZTIME (8s) from the committed seed corpora
#   make vulncheck           govulncheck ./... against a database built offline from golang.org/x/vulndb
#   make quality             all three and test-mydrive (what CI runs for them)
#   make test-mydrive        the function tests with the fake Drive's folder in My Drive (make test keeps it in a
#                            Shared Drive)
#   make mutate              mutation testing (gremlins) of csvfile, ledger, trigger, config, medici (mapper, and
#                            the decisions that need no database), xlsxfile, layout, notify, drive (classifier,
#                            resumable upload), lease and export's service-free decisions; kill rate per
#                            package against its target; too slow for CI (over an hour on 2 cores); narrow it with
#                            MUTATE_FLAGS="-only internal/layout,internal/drive:classify"
#
# Details, results and longer runs: scripts/README.md, internal/csvfile/README.md.

QUALITY_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
QUALITY_GO ?= $(or $(GO),go)
FUZZTIME ?= 8s

GREMLINS ?= github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
MUTATE_WORKERS ?= 2
MUTATE_FLAGS ?=

.PHONY: quality spreadsheet-check fuzz-smoke vulncheck test-mydrive mutate

quality: spreadsheet-check fuzz-smoke vulncheck test-mydrive

test-mydrive:
	@cd $(QUALITY_ROOT) && LEDGER_TEST_DRIVE=mydrive $(QUALITY_GO) test -race -count=1 -timeout 30m ./function/

# gremlins is installed into a cache of its own (a go run would hide its exit code), then scripts/mutate runs it on
# a copy of the module. Figures and the allow-list: scripts/mutate/README.md.
mutate:
	@bin=$${XDG_CACHE_HOME:-$$HOME/.cache}/ledger-export/bin; mkdir -p $$bin; \
	test -x $$bin/gremlins || GOBIN=$$bin $(QUALITY_GO) install $(GREMLINS); \
	cd $(QUALITY_ROOT) && $(QUALITY_GO) run ./scripts/mutate -gremlins $$bin/gremlins -workers $(MUTATE_WORKERS) $(MUTATE_FLAGS)

spreadsheet-check:
	@bash $(QUALITY_ROOT)/scripts/spreadsheet/install-soffice.sh
	@cd $(QUALITY_ROOT) && $(QUALITY_GO) run ./scripts/spreadsheet

fuzz-smoke:
	@GO=$(QUALITY_GO) FUZZTIME=$(FUZZTIME) bash $(QUALITY_ROOT)/scripts/fuzz-smoke.sh

vulncheck:
	@GO=$(QUALITY_GO) bash $(QUALITY_ROOT)/scripts/vulncheck.sh
