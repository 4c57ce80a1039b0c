################################################################################
# Locals
################################################################################

locals {
  name   = var.name
  region = var.region
  tags = {
    Project     = "tradeloop"
    Environment = var.environment
    ManagedBy   = "terraform"
  }
}

################################################################################
# The stack: what the embedded mode runs and the tests apply, with AWS's switches
################################################################################

module "stack" {
  source = "../../modules/stack"

  name        = local.name
  package_dir = coalesce(var.package_dir, "${path.root}/../../../build/lambda")
  functions   = var.functions

  account_id_setting = var.account_id_setting
  initial_cash       = var.initial_cash
  model_name         = var.model_name
  commission_bps     = var.commission_bps
  slippage_bps       = var.slippage_bps
  broker             = var.broker
  alpaca_secret_arn  = var.alpaca_secret_arn

  schedule_enabled          = var.schedule_enabled
  marketdata                = { provider = var.marketdata_provider, feed = var.marketdata_feed }
  queue_maximum_concurrency = var.queue_maximum_concurrency
  log_retention_days        = var.log_retention_days
  alert_emails              = var.alert_emails

  dashboard = {
    create              = true
    image_tag           = var.dashboard_image_tag
    desired_count       = var.dashboard_desired_count
    allowed_cidrs       = var.allowed_cidrs
    certificate_arn     = var.certificate_arn
    password_secret_arn = var.dashboard_password_secret_arn
  }

  tags = local.tags
}
