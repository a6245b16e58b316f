#!/usr/bin/env bash
# govulncheck against a vulnerability database built offline from the Go module proxy.
#
# The public database (vuln.go.dev) is not reachable from CI, but the module golang.org/x/vulndb is: it ships every
# OSV entry in data/osv and the builder in cmd/indexdb. This script
#   1. downloads golang.org/x/vulndb through the module proxy (go mod download, outside this module, so go.mod and
#      go.sum stay untouched),
#   2. copies it to a writable directory, builds cmd/indexdb there and writes the v1 database with
#      `indexdb -vulns data/osv -out DB`, cached under ${XDG_CACHE_HOME:-$HOME/.cache}/ledger-export/vulndb/VERSION,
#   3. prints the date of the database's newest entry and runs `govulncheck -db file://DB ./...`.
#
# It passes when govulncheck finds no vulnerability the code calls, or when every one it finds is listed with a
# reason in scripts/vulncheck-allow.txt. An ID missing from that file fails the run; a listed ID that is no longer
# found is reported so that its line can go.
#
# Environment: GO (go), VULNDB_VERSION (latest), GOVULNCHECK_VERSION (latest), VULNDB_CACHE (the cache directory).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
go=${GO:-go}
vulndb_version=${VULNDB_VERSION:-latest}
govulncheck_version=${GOVULNCHECK_VERSION:-latest}
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/ledger-export
cache=${VULNDB_CACHE:-$cache_root/vulndb}
allow="$root/scripts/vulncheck-allow.txt"
start=$(date +%s)

say() { echo "vulncheck: $*"; }

# go mod download runs outside any module, so nothing is recorded in this module's go.mod or go.sum.
scratch=$(mktemp -d)
trap 'chmod -R u+w "$scratch" 2>/dev/null; rm -rf "$scratch"' EXIT
info=$(cd "$scratch" && GOWORK=off GOFLAGS=-mod=mod "$go" mod download -json "golang.org/x/vulndb@$vulndb_version")
field() { printf '%s\n' "$info" | sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}$/\1/p" | head -n1; }
version=$(field Version)
src=$(field Dir)
if [ -z "$version" ] || [ ! -d "$src/data/osv" ]; then
	echo "vulncheck: go mod download golang.org/x/vulndb@$vulndb_version gave no usable module:" >&2
	printf '%s\n' "$info" >&2
	exit 1
fi

db="$cache/$version"
if [ -f "$db/index/db.json" ]; then
	say "database golang.org/x/vulndb@$version (cached in $db)"
else
	say "building the database from golang.org/x/vulndb@$version"
	build_start=$(date +%s)
	cp -R "$src" "$scratch/vulndb"
	chmod -R u+w "$scratch/vulndb"
	(cd "$scratch/vulndb" && GOWORK=off GOFLAGS=-mod=readonly "$go" build -o "$scratch/indexdb" ./cmd/indexdb)
	mkdir -p "$cache"
	rm -rf "$db.tmp"
	(cd "$scratch/vulndb" && "$scratch/indexdb" -vulns data/osv -out "$db.tmp")
	# Older builds of other versions are dropped; only the one in use stays.
	find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$version" ! -name "$version.tmp" -exec rm -rf {} +
	mv "$db.tmp" "$db"
	say "built $(find "$db" -type f | wc -l | tr -d ' ') files, $(du -sh "$db" | cut -f1), in $(($(date +%s) - build_start)) s"
fi

# The newest entry: the highest GO-YYYY-NNNN id and the latest date any entry carries. Entries the proxy's module
# ships may hold zero modified/published times; then the report's creation date (data/reports/ID.yaml) and the
# module's own commit time say how fresh the database is.
newest_id=$(ls "$db/ID" | sed -n 's/^\(GO-[0-9]*-[0-9]*\)\.json$/\1/p' | sort -t- -k2,2n -k3,3n | tail -n1)
newest_date=$(cat "$db"/ID/*.json | grep -o '"\(modified\|published\)":"[^"]*"' | cut -d'"' -f4 | grep -v '^0001-' | sort | tail -n1)
created=$(sed -n 's/^ *created: *//p' "$src/data/reports/$newest_id.yaml" 2>/dev/null | head -n1)
commit_time=$(printf '%s' "$version" | sed -n 's/^v0\.0\.0-\([0-9]\{4\}\)\([0-9][0-9]\)\([0-9][0-9]\)\([0-9][0-9]\)\([0-9][0-9]\)\([0-9][0-9]\)-.*/\1-\2-\3T\4:\5:\6Z/p')
say "newest entry $newest_id, report created ${created:-unknown}; newest entry date in the OSV data ${newest_date:-none (all zero)}; vulndb commit $commit_time"

# govulncheck is installed into the cache (go install, outside this module): `go run` would turn its exit code 3
# (vulnerabilities found) into 1, which could not be told from a failure to run.
bin="$cache_root/bin"
(cd "$scratch" && GOWORK=off GOFLAGS= GOBIN="$bin" "$go" install "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version")
say "$("$bin/govulncheck" -version 2>/dev/null | sed -n 's/^Scanner: *//p' | head -n1)"

out="$scratch/govulncheck.txt"
set +e
(cd "$root" && GOFLAGS= "$bin/govulncheck" -db "file://$db" ./...) >"$out" 2>&1
rc=$?
set -e
report="$cache_root/govulncheck.txt"
cp "$out" "$report"
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
	cat "$out"
	echo "vulncheck: govulncheck failed to run (exit $rc)" >&2
	exit "$rc"
fi
# The findings and govulncheck's summary; the example traces are in the full report.
grep -E '^(Vulnerability #|Your code|This scan|vulnerabilit|these vulnerabilities|Use )' "$out" || true
say "full govulncheck output: $report"

# Vulnerabilities the code calls are listed as "Vulnerability #N: GO-YYYY-NNNN".
found=$(sed -n 's/^Vulnerability #[0-9]*: \(GO-[0-9]*-[0-9]*\).*/\1/p' "$out" | sort -u)
listed=""
if [ -f "$allow" ]; then
	listed=$(sed -e 's/#.*//' "$allow" | awk 'NF >= 2 { print $1 }' | sort -u)
fi
if [ "$rc" -eq 3 ] && [ -z "$found" ]; then
	echo "vulncheck: govulncheck exited 3 but no finding could be read from its output" >&2
	exit 1
fi
new=$(comm -23 <(printf '%s\n' $found) <(printf '%s\n' $listed) | sed '/^$/d')
gone=$(comm -13 <(printf '%s\n' $found) <(printf '%s\n' $listed) | sed '/^$/d')
for id in $found; do
	if printf '%s\n' $listed | grep -qx "$id"; then
		say "$id accepted: $(sed -e 's/#.*//' "$allow" | awk -v id="$id" '$1 == id { $1 = ""; sub(/^ /, ""); print; exit }')"
	fi
done
for id in $gone; do
	say "$id is listed in $(basename "$allow") but no longer found: remove its line"
done
if [ -n "$new" ]; then
	cat "$out"
	echo "vulncheck: FAILED: new vulnerabilities the code calls, not in $(basename "$allow"): $(echo $new)" >&2
	echo "vulncheck: fix them (upgrade the module or the Go toolchain), or explain each in $(basename "$allow")" >&2
	exit 1
fi
say "passed in $(($(date +%s) - start)) s (govulncheck exit $rc, $(printf '%s\n' $found | sed '/^$/d' | wc -l | tr -d ' ') accepted findings)"
