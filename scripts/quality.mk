# Quality checks of issue 7: the CSV in a real spreadsheet, fuzzing, and known vulnerabilities. Included by the
# top-level Makefile (`include scripts/quality.mk`); also usable alone: make -f scripts/quality.mk TARGET.
#
#   make spreadsheet-check   install LibreOffice Calc when missing (Debian, as root), then open the encoder's CSV
#                            of the hostile payload corpus in it and check every cell (go run ./scripts/spreadsheet)
#   make fuzz-smoke          every Go fuzz target for FUZZTIME (8s) from the committed seed corpora
#   make vulncheck           govulncheck ./... against a database built offline from golang.org/x/vulndb
#   make quality             all three (what CI runs for them)
#
# Details, results and longer runs: scripts/README.md, internal/csvfile/README.md.

QUALITY_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
QUALITY_GO ?= $(or $(GO),go)
FUZZTIME ?= 8s

.PHONY: quality spreadsheet-check fuzz-smoke vulncheck

quality: spreadsheet-check fuzz-smoke vulncheck

spreadsheet-check:
	@bash $(QUALITY_ROOT)/scripts/spreadsheet/install-soffice.sh
	@cd $(QUALITY_ROOT) && $(QUALITY_GO) run ./scripts/spreadsheet

fuzz-smoke:
	@GO=$(QUALITY_GO) FUZZTIME=$(FUZZTIME) bash $(QUALITY_ROOT)/scripts/fuzz-smoke.sh

vulncheck:
	@GO=$(QUALITY_GO) bash $(QUALITY_ROOT)/scripts/vulncheck.sh
