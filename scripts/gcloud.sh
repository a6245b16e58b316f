#!/usr/bin/env bash
# gcloud.sh - manual operations on the deployed function, for scripts/deploy.mk.
#
#   gcloud.sh invoke DATE [DRYRUN] [CLEAR]   POST {"date":DATE[,"dryRun":true][,"clearFailure":true]} (gcloud functions call)
#   gcloud.sh status [DATE]          GET ?date=DATE, or the latest run (curl + identity token)
#   gcloud.sh health                 GET /health (200 fresh, 503 stale)
#   gcloud.sh run-now                run the Cloud Scheduler job now (gcloud scheduler jobs run)
#
# Each command is printed before it runs; DRY_RUN=1 prints it only.
# Where the deployment is: GCP_PROJECT, GCP_REGION, FUNCTION_NAME, SCHEDULER_JOB,
# SCHEDULER_REGION and FUNCTION_URL from the environment, else from
# `terraform output` in terraform/, else gcloud's configured project and the
# Terraform defaults. The caller needs roles/run.invoker on the function
# (terraform variable operator_invoker_members) for invoke, status and health,
# and roles/cloudscheduler.jobRunner (or admin) for run-now.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
die() { echo "gcloud.sh: $*" >&2; exit 2; }

tfout() { # tfout NAME: a Terraform output, or nothing
	command -v terraform >/dev/null 2>&1 || return 0
	[ -d "$root/terraform/.terraform" ] || return 0 # never initialised: no state to read
	local v
	v=$(terraform -chdir="$root/terraform" output -no-color -raw "$1" 2>/dev/null) || return 0
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

# curl_get PATH_AND_QUERY: GET with the caller's identity token; prints the body
# and the HTTP status.
curl_get() {
	local url
	url="$(function_url)$1"
	echo "+ curl -sS -w '\\nHTTP %{http_code}\\n' -H \"Authorization: Bearer \$(gcloud auth print-identity-token)\" \"$url\""
	[ -n "${DRY_RUN:-}" ] && return 0
	local token
	token=$(gcloud auth print-identity-token)
	curl -sS -w '\nHTTP %{http_code}\n' -H "Authorization: Bearer $token" "$url"
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
	run gcloud functions call "$function" --project="$project" --region="$region" --data="$body"
	;;
status)
	date=${2:-}
	if [ -n "$date" ]; then
		valid_date "$date" || die "usage: make status [DATE=YYYY-MM-DD] (got DATE='$date')"
		curl_get "?date=$date"
	else
		curl_get ""
	fi
	;;
health)
	curl_get "/health"
	;;
run-now)
	run gcloud scheduler jobs run "$job" --project="$project" --location="$job_region"
	;;
*)
	sed -n '3,7p' "$0" | sed 's/^# //' >&2
	exit 2
	;;
esac
