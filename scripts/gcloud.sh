#!/usr/bin/env bash
# gcloud.sh - manual operations on the deployed function, for scripts/deploy.mk.
#
#   gcloud.sh invoke DATE [DRYRUN] [CLEAR]   POST {"date":DATE[,"dryRun":true][,"clearFailure":true]}
#   gcloud.sh status [DATE]          GET ?date=DATE, or the latest run
#   gcloud.sh health                 GET /health (200 fresh, 503 stale)
#   gcloud.sh run-now                run the Cloud Scheduler job now (gcloud scheduler jobs run)
#   gcloud.sh doctor [NOTIFY]        GET /doctor?format=text: the preflight (NOTIFY: also a test notice)
#
# Each command is printed before it runs; DRY_RUN=1 prints it only.
# invoke, status and health call the function with curl and the caller's
# identity token (gcloud auth print-identity-token), so they need only
# roles/run.invoker on the function's Cloud Run service (terraform variable
# operator_invoker_members); they print the function's answer and its HTTP
# status whatever it is, and exit non-zero unless it is 2xx (curl
# --fail-with-body, curl 7.76 or later). invoke waits the function's timeout
# plus a minute: FUNCTION_TIMEOUT seconds, else the Terraform output
# function_timeout_seconds, else 1800, the most terraform/variables.tf allows.
# run-now needs roles/cloudscheduler.jobRunner (or admin).
#
# Where the deployment is: GCP_PROJECT, GCP_REGION, FUNCTION_NAME, SCHEDULER_JOB,
# SCHEDULER_REGION, FUNCTION_URL and FUNCTION_TIMEOUT from the environment,
# else from `terraform output` in TERRAFORM_DIR (default terraform/), else gcloud's
# configured project and the Terraform defaults.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
die() { echo "gcloud.sh: $*" >&2; exit 2; }

tf_dir=${TERRAFORM_DIR:-$root/terraform}
tfout() { # tfout NAME: a Terraform output, or nothing
	command -v terraform >/dev/null 2>&1 || return 0
	[ -d "$tf_dir/.terraform" ] || return 0 # never initialised: no state to read
	local v
	v=$(terraform -chdir="$tf_dir" output -no-color -raw "$1" 2>/dev/null) || return 0
	# Without outputs, terraform prints a warning instead of a value.
	[[ $v =~ ^[A-Za-z0-9._:/@-]+$ ]] && printf '%s' "$v"
	return 0
}

project=${GCP_PROJECT:-$(tfout project_id)}
if [ -z "$project" ] && command -v gcloud >/dev/null 2>&1; then
	project=$(gcloud config get-value project 2>/dev/null || true)
fi
[ -n "$project" ] || die "no project: set GCP_PROJECT=... (or run terraform apply, or gcloud config set project ...)"
region=${GCP_REGION:-$(tfout region)}
region=${region:-asia-southeast1}
function=${FUNCTION_NAME:-$(tfout function_name)}
function=${function:-ledger-export}
job=${SCHEDULER_JOB:-$(tfout scheduler_job_name)}
job=${job:-$function-daily}
job_region=${SCHEDULER_REGION:-$(tfout scheduler_region)}
job_region=${job_region:-$region}

show() { # print a command so that it can be pasted back into a shell
	local a out="+"
	for a in "$@"; do
		if [[ $a =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then
			out+=" $a"
		else
			out+=" '${a//\'/\'\\\'\'}'"
		fi
	done
	printf '%s\n' "$out"
}
run() {
	show "$@"
	[ -n "${DRY_RUN:-}" ] && return 0
	"$@"
}

# function_url: the run.app URL of the function's service.
function_url() {
	local url=${FUNCTION_URL:-$(tfout function_url)}
	if [ -z "$url" ]; then
		if [ -n "${DRY_RUN:-}" ]; then
			url="\$(gcloud functions describe $function --project=$project --region=$region --format='value(serviceConfig.uri)')"
		else
			url=$(gcloud functions describe "$function" --project="$project" --region="$region" --format='value(serviceConfig.uri)')
		fi
	fi
	printf '%s' "$url"
}

# call MAX_SECONDS PATH_AND_QUERY [BODY]: GET (or, with a body, POST) with the
# caller's identity token. Prints the command, then the function's answer and
# "HTTP <status>"; curl exits non-zero (22) on a status of 400 or more, with
# the body still printed, and 28 when MAX_SECONDS pass.
call() {
	local max=$1 url
	url="$(function_url)$2"
	local args=(-sS --fail-with-body --max-time "$max" -w '\nHTTP %{http_code}\n')
	[ $# -ge 3 ] && args+=(-X POST -H "Content-Type: application/json" --data "$3")
	# The printed command keeps $(gcloud auth print-identity-token) unexpanded,
	# so that it can be pasted and never shows a token.
	local shown
	shown=$(show curl "${args[@]}")
	printf '%s -H "Authorization: Bearer $(gcloud auth print-identity-token)" "%s"\n' "$shown" "$url"
	[ -n "${DRY_RUN:-}" ] && return 0
	local token
	token=$(gcloud auth print-identity-token)
	curl "${args[@]}" -H "Authorization: Bearer $token" "$url"
}

valid_date() { [[ $1 =~ ^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$ ]]; }

case ${1:-} in
invoke)
	date=${2:-}
	valid_date "$date" || die "usage: make invoke DATE=YYYY-MM-DD [EXPORT_DRY_RUN=1] [CLEAR_FAILURE=1] (got DATE='$date')"
	body="{\"date\":\"$date\""
	[ -n "${3:-}" ] && body="$body,\"dryRun\":true"
	[ -n "${4:-}" ] && body="$body,\"clearFailure\":true"
	body="$body}"
	timeout=${FUNCTION_TIMEOUT:-$(tfout function_timeout_seconds)}
	if [ -z "$timeout" ]; then
		timeout=1800
		echo "gcloud.sh: the function's timeout is unknown (no FUNCTION_TIMEOUT, no terraform output function_timeout_seconds); waiting for 1800 s, the most terraform/variables.tf allows" >&2
	fi
	[[ $timeout =~ ^[1-9][0-9]{0,4}$ ]] || die "FUNCTION_TIMEOUT must be a number of seconds (got '$timeout')"
	# A minute more than the function may run: the answer of a run cut off at
	# the timeout (504) still arrives.
	call $((timeout + 60)) "" "$body"
	;;
status)
	date=${2:-}
	if [ -n "$date" ]; then
		valid_date "$date" || die "usage: make status [DATE=YYYY-MM-DD] (got DATE='$date')"
		call 120 "?date=$date"
	else
		call 120 ""
	fi
	;;
health)
	call 120 "/health"
	;;
doctor)
	if [ -n "${2:-}" ]; then
		call 300 "/doctor?format=text&notify=1"
	else
		call 300 "/doctor?format=text"
	fi
	;;
run-now)
	run gcloud scheduler jobs run "$job" --project="$project" --location="$job_region"
	;;
*)
	sed -n '4,8p' "$0" | sed 's/^# //' >&2
	exit 2
	;;
esac
