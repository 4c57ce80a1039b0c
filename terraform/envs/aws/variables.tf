################################################################################
# General
################################################################################

variable "region" {
  description = "AWS region."
  type        = string
  default     = "eu-west-1"
}

variable "environment" {
  description = "Environment tag (e.g. prod, staging)."
  type        = string
  default     = "prod"
}

variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "tradeloop"
}

################################################################################
# Lambda services
################################################################################

variable "package_dir" {
  description = "Directory holding the zips built by `make package` (scripts/package_lambdas.py). null: <repo>/build/lambda."
  type        = string
  default     = null
}

variable "reserved_concurrency" {
  description = "Reserved concurrency per service (-1 = unreserved, for accounts with the default quota of 10)."
  type        = map(number)
  default = {
    order     = 5
    portfolio = 5
    signal    = 2
  }
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type        = number
  default     = 30
}

variable "account_id_setting" {
  description = "TRADELOOP_ACCOUNT_ID: the paper account."
  type        = string
  default     = "paper"
}

variable "model_name" {
  description = "TRADELOOP_MODEL_NAME: registry name of the live model."
  type        = string
  default     = "tradeloop"
}

variable "commission_bps" {
  description = "TRADELOOP_COMMISSION_BPS: paper broker commission, basis points."
  type        = number
  default     = 1
}

variable "slippage_bps" {
  description = "TRADELOOP_SLIPPAGE_BPS: paper broker slippage, basis points."
  type        = number
  default     = 5
}

################################################################################
# Schedule
################################################################################

variable "signal_schedule" {
  description = "EventBridge schedule of the signal job and the portfolio snapshot (UTC)."
  type        = string
  default     = "cron(15 21 ? * MON-FRI *)"
}

################################################################################
# Dashboard
################################################################################

variable "allowed_cidrs" {
  description = "CIDRs allowed to reach the dashboard. Empty: nobody."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on the dashboard ALB; null serves HTTP."
  type        = string
  default     = null
}

variable "dashboard_image_tag" {
  description = "Dashboard image tag in ECR."
  type        = string
  default     = "latest"
}

variable "dashboard_desired_count" {
  description = "Dashboard tasks (0 to stop paying for Fargate)."
  type        = number
  default     = 1
}

################################################################################
# Alerts
################################################################################

variable "alert_emails" {
  description = "Email addresses subscribed to the alerts topic."
  type        = list(string)
  default     = []
}

variable "dashboard_password_secret_arn" {
  description = "Secrets Manager ARN holding the dashboard login password (plain string, or JSON with password and optional username). There is no default password: without it the dashboard refuses to start."
  type        = string
  default     = null
}
