# Deploy targets for ledger-export. Included by the top-level Makefile
# (`include scripts/deploy.mk`); also usable alone: make -f scripts/deploy.mk TARGET.
#
#   make package                   zip of go.mod, go.sum and the deployed Go sources -> dist/; fails when the
#                                  runtime Terraform deploys with (RUNTIME=goNNN to override) may not build go.mod
#   make buildpack-check           build that zip the way Google's Go buildpack does, and start it
#   make tf-validate               terraform fmt + validate + plan, offline (schema-only stub provider), of
#                                  example.tfvars alone (no egress) and with each terraform/egress-*.tfvars
#   make tf-static                 static security test of terraform/ (go test ./scripts/tfcheck)
#   make deploy-check              all three checks above (what CI runs for deployment)
#   make invoke DATE=YYYY-MM-DD    run or finish that date now: curl with your identity token (roles/run.invoker
#                                  is enough), waiting the function's timeout; prints the answer and the HTTP
#                                  status, fails unless 2xx (EXPORT_DRY_RUN=1: summary only, changes nothing;
#                                  CLEAR_FAILURE=1: retry a date blocked by a permanent failure)
#   make status [DATE=YYYY-MM-DD]  state of a date, or of the latest run
#   make health                    GET /health
#   make run-now                   run the Cloud Scheduler job now
#   make doctor [NOTIFY=1]         the preflight: the deployed function checks its own dependencies with its own
#                                  identity and prints one line per check with the fix of each failure; changes
#                                  nothing (NOTIFY=1 also sends a test notice); fails unless every check passes
#   make doctor-local              the same preflight against make run's local services (function/cmd/doctorlocal)
#   make contract                  the Drive and medici contract suites against the real services:
#                                  DRIVE_FOLDER_ID (+ DRIVE_SHARED_DRIVE_ID) with application default credentials,
#                                  MONGODB_TEST_URI; each suite without its settings says it was skipped and why
#
# invoke/status/health/run-now take GCP_PROJECT, GCP_REGION, FUNCTION_NAME,
# SCHEDULER_JOB, SCHEDULER_REGION, FUNCTION_URL and FUNCTION_TIMEOUT from the command
# line or the environment, else from `terraform output`; DRY_RUN=1 prints the command
# only. scripts/gcloud_test.go runs them against a fake gcloud and curl.

# Paths are computed from this file, so the targets work from any clone folder
# and whether this fragment is included or run with -f.
DEPLOY_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
DEPLOY_ARCHIVE ?= $(DEPLOY_ROOT)/dist/ledger-export-source.zip
# ../shared/terraform-offline sits beside the repository (in CI as here).
TF_OFFLINE ?= $(abspath $(DEPLOY_ROOT)/../shared/terraform-offline/validate)
TF_DIR := $(DEPLOY_ROOT)/terraform
DEPLOY_GO ?= go
# Local-only packages are left out of the archive by scripts/gcfpack itself
# (function/cmd, internal/demo, internal/drivefake, internal/testenv,
# internal/faults, internal/bench); PACKAGE_EXCLUDE=a,b replaces that list.
PACKAGE_EXCLUDE ?=
# The Cloud Functions runtime to check go.mod against; empty: Terraform's.
RUNTIME ?=

.PHONY: package buildpack-check tf-validate tf-static deploy-check invoke status health run-now doctor doctor-local contract

package:
	@cd $(DEPLOY_ROOT) && $(DEPLOY_GO) run ./scripts/gcfpack pack -root . $(if $(PACKAGE_EXCLUDE),-exclude $(PACKAGE_EXCLUDE)) $(if $(RUNTIME),-runtime $(RUNTIME)) -o $(DEPLOY_ARCHIVE)

buildpack-check: package
	@echo "buildpack-check: reproducing GoogleCloudPlatform/buildpacks cmd/go/functions_framework on $(notdir $(DEPLOY_ARCHIVE))"
	@cd $(DEPLOY_ROOT) && $(DEPLOY_GO) run ./scripts/gcfpack check -zip $(DEPLOY_ARCHIVE) -target ExportDaily

# The plan step needs an archive to hash; a placeholder keeps this check
# independent of the Go code (make package makes the real one).
tf-validate:
	@set -e; \
	if [ -x "$(TF_OFFLINE)" ]; then \
		echo "tf-validate: OFFLINE schema check: $(TF_OFFLINE) serves the recorded hashicorp/google schema from a stub provider;"; \
		echo "tf-validate: it checks names, types, references, fmt and the variable validations (plan of example.tfvars),"; \
		echo "tf-validate: not the provider's own value checks or the Google APIs. With internet, 'terraform init && terraform validate' is the real check."; \
		tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
		printf 'PK\005\006%018d' 0 > "$$tmp/placeholder.zip"; \
		echo "source_archive = \"$$tmp/placeholder.zip\"" > "$$tmp/archive.tfvars"; \
		if "$(TF_OFFLINE)" --plan -var-file="$(TF_DIR)/example.tfvars" -var-file="$$tmp/archive.tfvars" "$(TF_DIR)" > "$$tmp/log" 2>&1; then \
			grep -E '^(==>|Success|Plan:|terraform-offline:)' "$$tmp/log"; \
		else \
			cat "$$tmp/log"; echo "tf-validate: FAILED (full output above)"; exit 1; \
		fi; \
		for combo in egress-direct-vpc egress-connector egress-direct-vpc-nat; do \
			if "$(TF_OFFLINE)" --plan -var-file="$(TF_DIR)/example.tfvars" -var-file="$(TF_DIR)/$$combo.tfvars" \
				-var-file="$$tmp/archive.tfvars" "$(TF_DIR)" > "$$tmp/$$combo" 2>&1; then \
				echo "tf-validate: $$combo.tfvars: $$(grep -E '^Plan:' "$$tmp/$$combo")"; \
			else \
				cat "$$tmp/$$combo"; echo "tf-validate: FAILED: plan of $$combo.tfvars (output above)"; exit 1; \
			fi; \
		done; \
		echo "tf-validate: the validations refuse a NAT without VPC egress of all traffic:"; \
		printf 'nat_static_ip = true\nvpc_network = "ledger-vpc"\n' > "$$tmp/nat.tfvars"; \
		if "$(TF_OFFLINE)" --plan -var-file="$(TF_DIR)/example.tfvars" -var-file="$$tmp/archive.tfvars" \
			-var-file="$$tmp/nat.tfvars" "$(TF_DIR)" > "$$tmp/nat" 2>&1; then \
			echo "tf-validate: FAILED: the plan accepted nat_static_ip with egress = none"; exit 1; \
		fi; \
		grep -q 'nat_static_ip needs egress' "$$tmp/nat" || { cat "$$tmp/nat"; echo "tf-validate: FAILED: no error 'nat_static_ip needs egress' (output above)"; exit 1; }; \
		echo "tf-validate:   refused: nat_static_ip needs egress = direct-vpc or connector, ... all-traffic"; \
		echo "tf-validate: the validations refuse concurrency 2 with the default CPU, and runtime go126:"; \
		printf 'max_instance_request_concurrency = 2\nruntime = "go126"\n' > "$$tmp/bad.tfvars"; \
		printf 'max_instance_request_concurrency = 2\navailable_cpu = "1"\n' > "$$tmp/cpu.tfvars"; \
		if "$(TF_OFFLINE)" --plan -var-file="$(TF_DIR)/example.tfvars" -var-file="$$tmp/archive.tfvars" \
			-var-file="$$tmp/bad.tfvars" "$(TF_DIR)" > "$$tmp/bad" 2>&1; then \
			echo "tf-validate: FAILED: the plan accepted max_instance_request_concurrency=2 without available_cpu, and runtime=go126"; exit 1; \
		fi; \
		for want in 'needs at least 1 vCPU' 'runtime must be a Go runtime ID of at least go127'; do \
			grep -q "$$want" "$$tmp/bad" || { cat "$$tmp/bad"; echo "tf-validate: FAILED: no error '$$want' (output above)"; exit 1; }; \
			echo "tf-validate:   refused: $$want"; \
		done; \
		if ! "$(TF_OFFLINE)" --plan -var-file="$(TF_DIR)/example.tfvars" -var-file="$$tmp/archive.tfvars" \
			-var-file="$$tmp/cpu.tfvars" "$(TF_DIR)" > "$$tmp/cpu" 2>&1; then \
			cat "$$tmp/cpu"; echo "tf-validate: FAILED: concurrency 2 with available_cpu=1 was refused (output above)"; exit 1; \
		fi; \
		echo "tf-validate:   accepted: concurrency 2 with available_cpu = 1"; \
	else \
		echo "tf-validate: $(TF_OFFLINE) not found; running the online check (needs the Terraform registry)"; \
		tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
		cp -R "$(TF_DIR)/." "$$tmp/"; rm -rf "$$tmp/.terraform" "$$tmp/.terraform.lock.hcl"; \
		terraform -chdir="$$tmp" fmt -check -recursive -diff; \
		terraform -chdir="$$tmp" init -backend=false -input=false; \
		terraform -chdir="$$tmp" validate; \
	fi

tf-static:
	@cd $(DEPLOY_ROOT) && $(DEPLOY_GO) test -count=1 ./scripts/tfcheck/

deploy-check: tf-validate tf-static buildpack-check

invoke:
	@$(DEPLOY_ROOT)/scripts/gcloud.sh invoke "$(DATE)" "$(EXPORT_DRY_RUN)" "$(CLEAR_FAILURE)"

status:
	@$(DEPLOY_ROOT)/scripts/gcloud.sh status "$(DATE)"

health:
	@$(DEPLOY_ROOT)/scripts/gcloud.sh health

run-now:
	@$(DEPLOY_ROOT)/scripts/gcloud.sh run-now

doctor:
	@$(DEPLOY_ROOT)/scripts/gcloud.sh doctor "$(NOTIFY)"

doctor-local:
	@cd $(DEPLOY_ROOT) && $(DEPLOY_GO) run ./function/cmd/doctorlocal -dir .local $(if $(NOTIFY),-notify)

# The suites are the ones make test runs against drivefake and FerretDB (internal/drive/contract_test.go,
# internal/medici/contract_test.go); LEDGER_CONTRACT=1 points them at the real services instead.
contract:
	@cd $(DEPLOY_ROOT) && LEDGER_CONTRACT=1 $(DEPLOY_GO) test -count=1 -v -run 'Contract' ./internal/drive/ ./internal/medici/
