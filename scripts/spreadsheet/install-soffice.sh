#!/usr/bin/env bash
# Installs LibreOffice Calc from Debian's registry when soffice is missing, and prints how long it took.
# CI runs on a fresh machine as root; a developer who is not root gets the command to run instead.
set -euo pipefail

# The XLSX check's second reader is Python's openpyxl, from Debian (python3-openpyxl), as PyPI may not be reachable.
have_openpyxl() { python3 -c 'import openpyxl' 2>/dev/null || /usr/bin/python3 -c 'import openpyxl' 2>/dev/null; }
packages=""
command -v soffice >/dev/null 2>&1 || packages="libreoffice-calc"
have_openpyxl || packages="$packages python3-openpyxl"
if [ -z "$packages" ]; then
	echo "spreadsheet-check: $(soffice --version 2>/dev/null | head -n1) and openpyxl already installed"
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "spreadsheet-check: $packages missing and this is not a Debian-like system; install LibreOffice Calc and Python's openpyxl" >&2
	exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "spreadsheet-check: $packages missing; run as root: apt-get update && apt-get install -y --no-install-recommends $packages" >&2
		exit 1
	fi
	sudo="sudo"
fi

start=$(date +%s)
echo "spreadsheet-check: installing $packages from Debian (apt-get, no recommends)"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $packages >/tmp/ledger-export-soffice-install.log 2>&1 || {
	cat /tmp/ledger-export-soffice-install.log >&2
	echo "spreadsheet-check: apt-get install $packages failed (log above)" >&2
	exit 1
}
echo "spreadsheet-check: installed $packages ($(soffice --version 2>/dev/null | head -n1)) in $(($(date +%s) - start)) s"
