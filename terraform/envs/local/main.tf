################################################################################
# Locals
################################################################################

locals {
  name = var.name
  tags = {
    Project     = "tradeloop"
    Environment = "local"
    ManagedBy   = "terraform"
  }
}

################################################################################
# The stack of envs/aws, with the emulator's switches
################################################################################

module "stack" {
  source = "../../modules/stack"

  name = local.name
  # The local default names of docs/architecture.md (no account/region suffix in an emulator).
  bucket_names = { data = "${local.name}-data", models = "${local.name}-models" }

  # The emulator stores functions but never runs them: the local runtime runs the handlers,
  # each with its role's credentials. Roles and policies are created either way.
  create_functions = var.enable_compute
  package_dir      = coalesce(var.package_dir, "${path.root}/../../../build/lambda")
  # The local poller delivers the intent batches.
  queue_trigger                    = false
  queue_visibility_timeout_seconds = var.queue_visibility_timeout_seconds

  lifecycle_rules = var.enable_lifecycle_rules
  # The emulator serves plain HTTP; `make reset` / destroy may delete what the buckets hold.
  enforce_tls   = false
  force_destroy = true

  initial_cash       = var.initial_cash
  log_retention_days = var.log_retention_days
  extra_environment  = { AWS_ENDPOINT_URL = var.aws_endpoint_url }

  tags = local.tags
}
