# Infrastructure targets (issue: Terraform). Included by the Makefile; uses $(PY) (the venv's python).
#
# Terraform finds the hashicorp/aws provider through scripts/terraform_env.sh (a filesystem
# mirror on these machines; the public registry elsewhere). Checks and tests run on a copy of
# terraform/ under .tradeloop/terraform/, so no .terraform/, lock file or state lands in the
# source tree. `deploy`/`destroy` keep their state in the S3 backend of envs/aws/backend.hcl.

PY ?= .venv/bin/python
TF ?= terraform
TF_STATE_DIR := $(CURDIR)/.tradeloop/terraform
TF_COPY := $(TF_STATE_DIR)/check
TF_ROOTS := envs/aws envs/local
TF_TEST_DIRS := $(sort $(patsubst terraform/%/tests/,%,$(dir $(wildcard terraform/modules/*/tests/*.tftest.hcl terraform/envs/*/tests/*.tftest.hcl))))
LAMBDA_DIR ?= build/lambda
AWS_TFVARS ?= terraform/envs/aws/terraform.tfvars
AWS_BACKEND ?= terraform/envs/aws/backend.hcl
AUTO_APPROVE ?=
TF_APPROVE := $(if $(filter 1 true yes,$(AUTO_APPROVE)),-auto-approve,)
LOCAL_COMPUTE ?=
# AWS_REGION (or AWS_DEFAULT_REGION) overrides the tfvars file's region.
TF_REGION := $$([ -n "$${AWS_REGION:-$${AWS_DEFAULT_REGION:-}}" ] && echo "-var=region=$${AWS_REGION:-$$AWS_DEFAULT_REGION}")

# Use the provider mirror when there is one (exit 3: none, so the registry is used as usual).
# The machine may export TF_CLI_CONFIG_FILE naming a missing file: drop it then.
define tf_env
	mirror_env="$$(bash scripts/terraform_env.sh --export 2>/dev/null)"; \
	if [ -n "$$mirror_env" ]; then eval "$$mirror_env"; \
	elif [ -n "$${TF_CLI_CONFIG_FILE:-}" ] && [ ! -f "$$TF_CLI_CONFIG_FILE" ]; then unset TF_CLI_CONFIG_FILE; fi; \
	export CHECKPOINT_DISABLE=1
endef

# A fresh copy of terraform/ (and the routes file the roots read) to init and test in.
define tf_copy
	rm -rf $(TF_COPY) && mkdir -p $(TF_COPY)/services && \
	cp -r terraform $(TF_COPY)/terraform && cp services/routes.json $(TF_COPY)/services/ && \
	find $(TF_COPY) \( -name .terraform -o -name '*.tfstate*' -o -name .terraform.lock.hcl -o -name '*.tfvars' \) \
	  -prune -exec rm -rf {} +
endef

# envs/aws: credentials, tfvars and backend settings must exist before Terraform touches AWS.
define aws_preflight
	test -f $(AWS_TFVARS) || { echo "refusing: $(AWS_TFVARS) not found."; \
	  echo "  cp terraform/envs/aws/terraform.tfvars.example $(AWS_TFVARS) and edit it (or AWS_TFVARS=path)"; exit 2; }; \
	test -f $(AWS_BACKEND) || { echo "refusing: $(AWS_BACKEND) not found (remote state settings)."; \
	  echo "  cp terraform/envs/aws/backend.hcl.example $(AWS_BACKEND) and edit it (or AWS_BACKEND=path)"; exit 2; }; \
	test -z "$${AWS_ENDPOINT_URL:-}" || { echo "refusing: AWS_ENDPOINT_URL=$$AWS_ENDPOINT_URL is set (an emulator, not AWS); unset it"; exit 2; }; \
	$(PY) -c "import boto3, sys; s = boto3.session.Session(); c = s.get_credentials(); \
	sys.exit('refusing: no AWS credentials (set AWS_PROFILE, or run aws configure / aws sso login)') if c is None else None; \
	i = s.client('sts', region_name=s.region_name or 'us-east-1').get_caller_identity(); \
	print(f\"AWS account {i['Account']} as {i['Arn']}; region: {s.region_name or 'from the tfvars file'}\")" \
	  || exit 2
endef

.PHONY: package tf-fmt tf-check tf-test checkov iac-tools iac-test deploy aws-outputs destroy local-apply local-destroy

package: install ## build the Lambda zips and layers into build/lambda (manylinux, deterministic, size budgets)
	@start=$$(date +%s); \
	$(PY) scripts/package_lambdas.py --out $(LAMBDA_DIR) --check-import && \
	echo "make package took $$(( $$(date +%s) - start ))s"

tf-fmt: ## rewrite terraform/ in canonical format
	$(TF) fmt -recursive terraform

tf-check: ## terraform fmt -check, then init -backend=false + validate of both roots (on a copy)
	@$(tf_env); set -e; \
	$(TF) fmt -check -recursive -diff terraform; echo "fmt: clean"; \
	$(tf_copy); \
	for root in $(TF_ROOTS); do \
	  $(TF) -chdir=$(TF_COPY)/terraform/$$root init -backend=false -input=false -no-color >/dev/null; \
	  printf '%-12s ' "$$root"; $(TF) -chdir=$(TF_COPY)/terraform/$$root validate -no-color; \
	done

tf-test: ## terraform test (mock provider) in every module and root (on a copy)
	@$(tf_env); set -e; $(tf_copy); \
	for dir in $(TF_TEST_DIRS); do \
	  echo "== $$dir"; \
	  $(TF) -chdir=$(TF_COPY)/terraform/$$dir init -backend=false -input=false -no-color >/dev/null; \
	  out="$$($(TF) -chdir=$(TF_COPY)/terraform/$$dir test -no-color 2>&1)" || { echo "$$out"; exit 1; }; \
	  echo "$$out" | tail -n 1; \
	done

iac-tools: ## install checkov into its own venv, .venv-iac
	bash scripts/iac_tools.sh

checkov: iac-tools ## checkov on terraform/ (every skip is inline, with its reason)
	.venv-iac/bin/checkov -d terraform --framework terraform --compact --quiet --skip-download

iac-test: install ## the infrastructure tests (pytest -m iac: fmt, validate, terraform test, checkov, moto apply, packaging)
	$(PY) -m pytest tests/iac $(PYTEST_ARGS)

deploy: install ## package + terraform apply envs/aws (AWS_PROFILE, AWS_REGION, AWS_TFVARS, AWS_BACKEND; AUTO_APPROVE=1)
	@$(aws_preflight)
	$(MAKE) --no-print-directory package
	@$(tf_env); set -e; \
	export TF_DATA_DIR=$(TF_STATE_DIR)/aws; \
	$(TF) -chdir=terraform/envs/aws init -input=false -backend-config=$(abspath $(AWS_BACKEND)); \
	$(TF) -chdir=terraform/envs/aws apply -input=false $(TF_APPROVE) \
	  -var-file=$(abspath $(AWS_TFVARS)) -var=package_dir=$(abspath $(LAMBDA_DIR)) $(TF_REGION); \
	$(TF) -chdir=terraform/envs/aws output

aws-outputs: ## print the outputs of envs/aws (api_url, dashboard_url, dashboard_repository_url, ...)
	@$(aws_preflight)
	@$(tf_env); set -e; \
	export TF_DATA_DIR=$(TF_STATE_DIR)/aws; \
	$(TF) -chdir=terraform/envs/aws init -input=false -backend-config=$(abspath $(AWS_BACKEND)) >/dev/null; \
	$(TF) -chdir=terraform/envs/aws output

destroy: install ## terraform destroy envs/aws (same settings as deploy; asks before deleting unless AUTO_APPROVE=1)
	@$(aws_preflight)
	@$(tf_env); set -e; \
	export TF_DATA_DIR=$(TF_STATE_DIR)/aws; \
	$(TF) -chdir=terraform/envs/aws init -input=false -backend-config=$(abspath $(AWS_BACKEND)) >/dev/null; \
	$(TF) -chdir=terraform/envs/aws destroy -input=false $(TF_APPROVE) \
	  -var-file=$(abspath $(AWS_TFVARS)) -var=package_dir=$(abspath $(LAMBDA_DIR)) $(TF_REGION)

local-apply: install ## terraform apply envs/local to the running emulator (state in .tradeloop/terraform/local; LOCAL_COMPUTE=1 adds Lambda + API)
	$(PY) -m tradeloop_local terraform apply $(if $(filter 1 true yes,$(LOCAL_COMPUTE)),--compute,)

local-destroy: install ## terraform destroy what local-apply created in the emulator
	$(PY) -m tradeloop_local terraform destroy
