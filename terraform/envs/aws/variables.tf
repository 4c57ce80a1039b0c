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

variable "functions" {
  description = "Per-service overrides (order, portfolio, signal): memory_size, timeout, reserved_concurrency (-1 = unreserved, the default; a reservation needs a concurrency quota above 10)."
  type = map(object({
    memory_size          = optional(number)
    timeout              = optional(number)
    reserved_concurrency = optional(number, -1)
  }))
  default = {}
}

variable "queue_maximum_concurrency" {
  description = "Most order-function instances the intent queue may drive at once (2..1000)."
  type        = number
  default     = 2
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type        = number
  default     = 30
}

################################################################################
# Trading
################################################################################

variable "account_id_setting" {
  description = "TRADELOOP_ACCOUNT_ID: the paper account."
  type        = string
  default     = "paper"
}

variable "initial_cash" {
  description = "Cash the paper account opens with on the first apply (never applied again: an existing account is not overwritten). null opens none."
  type        = number
  default     = 100000
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

variable "broker" {
  description = "TRADELOOP_BROKER: paper (ours, the default) or alpaca (Alpaca's paper-trading endpoint through alpaca-py; set alpaca_secret_arn)."
  type        = string
  default     = "paper"
}

variable "alpaca_secret_arn" {
  description = "Secrets Manager ARN of the Alpaca paper-trading keys, a JSON object {\"key_id\": ..., \"secret_key\": ...}. The order role may read this one secret. null: none."
  type        = string
  default     = null
}

################################################################################
# Schedule
################################################################################

variable "schedule_enabled" {
  description = "Whether the daily pipeline runs (EventBridge Scheduler, after the exchange's close in its time zone; the time is in services/common/tradeloop_common/schedule.json)."
  type        = bool
  default     = true
}

################################################################################
# Market data
################################################################################

variable "marketdata_provider" {
  description = "Where the daily bars come from: alpaca (put the keys in the marketdata_secret_arn output's secret), stooq (public, no account; may need TRADELOOP_STOOQ_APIKEY)."
  type        = string
  default     = "alpaca"
}

variable "marketdata_feed" {
  description = "Alpaca's feed: sip (every US exchange; the free plan has it after 15 minutes, long before the pipeline runs) or iex."
  type        = string
  default     = "sip"
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

variable "dashboard_password_secret_arn" {
  description = "Secrets Manager ARN holding the dashboard login password (plain string, or JSON with password and optional username). There is no default password: without it the dashboard refuses to start."
  type        = string
  default     = null
}

################################################################################
# Alerts
################################################################################

variable "alert_emails" {
  description = "Email addresses subscribed to the alerts topic."
  type        = list(string)
  default     = []
}
