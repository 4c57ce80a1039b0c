# Infrastructure targets (issue: Terraform). Included by the Makefile; uses $(PY) (the venv's python).
#
# Terraform finds the hashicorp/aws provider through scripts/terraform_env.sh (a filesystem
# mirror on these machines; the public registry elsewhere). Checks and tests run on a copy of
# terraform/ under .tradeloop/terraform/, so no .terraform/ or state lands in the source tree.
# The roots' .terraform.lock.hcl is committed (HashiCorp's advice) and copied with them, so init
# installs the provider version and hashes it records (linux_amd64, the mirror's platform; another
# platform's init adds its own hash: `terraform providers lock -platform=...` in the root). `deploy`/`destroy` keep their state in the S3 backend of envs/aws/backend.hcl.
# AWS_REGION (or AWS_DEFAULT_REGION) overrides the tfvars file's region.

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
LOCAL_COMPUTE ?=

# Use the provider mirror when there is one (exit 3: none, so the registry is used as usual).
# The machine may export TF_CLI_CONFIG_FILE naming a missing file: drop it then.
define tf_env
	mirror_env="$$(bash scripts/terraform_env.sh --export 2>/dev/null)"; \
	if [ -n "$$mirror_env" ]; then eval "$$mirror_env"; \
	elif [ -n "$${TF_CLI_CONFIG_FILE:-}" ] && [ ! -f "$$TF_CLI_CONFIG_FILE" ]; then unset TF_CLI_CONFIG_FILE; fi; \
	export CHECKPOINT_DISABLE=1
endef

# A fresh copy of terraform/ (and the JSON contracts the stack module reads) to init and test in.
define tf_copy
	rm -rf $(TF_COPY) && mkdir -p $(TF_COPY)/services/common/tradeloop_common/calendars $(TF_COPY)/dashboard && \
	cp -r terraform $(TF_COPY)/terraform && cp services/*.json $(TF_COPY)/services/ && \
	cp services/common/tradeloop_common/*.json $(TF_COPY)/services/common/tradeloop_common/ && \
	cp services/common/tradeloop_common/calendars/*.json $(TF_COPY)/services/common/tradeloop_common/calendars/ && \
	cp dashboard/contract.json $(TF_COPY)/dashboard/ && \
	find $(TF_COPY) \( -name .terraform -o -name '*.tfstate*' -o -name '*.tfvars' \) \
	  -prune -exec rm -rf {} +
endef

# envs/aws through scripts/aws_stack.py: preflight (credentials, tfvars, backend), working copy
# under .tradeloop/terraform/aws, buckets emptied before destroy. EMULATOR=<url> targets an
# emulator instead of AWS (local state; how the tests deploy and destroy the AWS root).
EMULATOR ?=
AWS_STACK = $(PY) scripts/aws_stack.py --tfvars $(AWS_TFVARS) --backend $(AWS_BACKEND) --package-dir $(LAMBDA_DIR) \
  $(if $(EMULATOR),--emulator $(EMULATOR),) $(if $(filter 1 true yes,$(AUTO_APPROVE)),--auto-approve,)

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

deploy: install ## package + terraform apply envs/aws (AWS_PROFILE, AWS_REGION, AWS_TFVARS, AWS_BACKEND; AUTO_APPROVE=1; EMULATOR=url)
	@$(AWS_STACK) preflight
	$(if $(EMULATOR),,$(MAKE) --no-print-directory package)
	@$(AWS_STACK) deploy

aws-outputs: install ## print the outputs of envs/aws (api_url, dashboard_url, dashboard_repository_url, ...)
	@$(AWS_STACK) outputs

destroy: install ## empty the stack's buckets, then terraform destroy envs/aws (asks first unless AUTO_APPROVE=1; no build/ needed)
	@$(AWS_STACK) destroy

local-apply: install ## terraform apply envs/local to the running emulator (state in .tradeloop/terraform/local; LOCAL_COMPUTE=1 adds Lambda + API)
	$(PY) -m tradeloop_local terraform apply $(if $(filter 1 true yes,$(LOCAL_COMPUTE)),--compute,)

local-destroy: install ## terraform destroy what local-apply created in the emulator
	$(PY) -m tradeloop_local terraform destroy
