#!/usr/bin/env bash
# Installs LibreOffice Calc from Debian's registry when soffice is missing, and prints how long it took.
# CI runs on a fresh machine as root; a developer who is not root gets the command to run instead.
set -euo pipefail

if command -v soffice >/dev/null 2>&1; then
	echo "spreadsheet-check: $(soffice --version 2>/dev/null | head -n1) already installed"
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "spreadsheet-check: soffice is missing and this is not a Debian-like system; install LibreOffice Calc" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "spreadsheet-check: soffice is missing; run as root: apt-get update && apt-get install -y --no-install-recommends libreoffice-calc" >&2
		exit 1
	fi
	sudo="sudo"
fi

start=$(date +%s)
echo "spreadsheet-check: installing libreoffice-calc from Debian (apt-get, no recommends)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends libreoffice-calc >/tmp/ledger-export-soffice-install.log 2>&1 || {
	cat /tmp/ledger-export-soffice-install.log >&2
	echo "spreadsheet-check: apt-get install libreoffice-calc failed (log above)" >&2
	exit 1
}
echo "spreadsheet-check: installed $(soffice --version 2>/dev/null | head -n1) in $(($(date +%s) - start)) s"
