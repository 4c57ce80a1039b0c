################################################################################
# General
################################################################################

variable "name" {
  description = "Name prefix of every resource (tables <name>-orders, functions <name>-order, ...)."
  type        = string
  default     = "tradeloop"
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Storage
################################################################################

variable "bucket_names" {
  description = "Bucket names. null: <name>-data-<account>-<region> and <name>-models-<account>-<region> (globally unique)."
  type = object({
    data   = optional(string)
    models = optional(string)
  })
  default = {}
}

variable "lifecycle_rules" {
  description = "Expire noncurrent object versions and stale multipart uploads. Off only in emulators, where nothing expires and the provider waits about 55 s for the rules to settle."
  type        = bool
  default     = true
}

variable "enforce_tls" {
  description = "Deny requests without TLS by bucket policy. Off only in emulators serving plain HTTP."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete buckets that still hold objects. Off in AWS: `make destroy` empties them itself, after saying what it deletes."
  type        = bool
  default     = false
}

################################################################################
# Lambda services
################################################################################

variable "create_functions" {
  description = "Create the Lambda functions, layers, HTTP API and schedule (needs the zips of `make package` in package_dir). false still creates each service's role and policy, which the embedded mode runs the handlers with."
  type        = bool
  default     = true
}

variable "package_dir" {
  description = "Directory holding the zips built by `make package` (scripts/package_lambdas.py)."
  type        = string
  default     = "build/lambda"
}

variable "functions" {
  description = "Per-service overrides (order, portfolio, signal): memory_size (MB), timeout (s), reserved_concurrency (-1 = unreserved, the default: a new account's concurrency quota is 10 and AWS keeps 10 unreserved, so any reservation fails there)."
  type = map(object({
    memory_size          = optional(number)
    timeout              = optional(number)
    reserved_concurrency = optional(number, -1)
  }))
  default = {}
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type        = number
  default     = 30
}

variable "tracing_mode" {
  description = "X-Ray tracing of the functions: Active or PassThrough."
  type        = string
  default     = "Active"
}

variable "extra_environment" {
  description = "More environment variables for every function (e.g. AWS_ENDPOINT_URL in an emulator)."
  type        = map(string)
  default     = {}
}

variable "async_failure_destination" {
  description = "Send failed asynchronous invocations (the scheduled runs) to the alerts topic."
  type        = bool
  default     = true
}

################################################################################
# Trading settings (the functions' environment)
################################################################################

variable "account_id_setting" {
  description = "TRADELOOP_ACCOUNT_ID: the paper account."
  type        = string
  default     = "paper"
}

variable "initial_cash" {
  description = "Cash the paper account opens with (once: the account is never overwritten, later changes of this value are ignored). null: no account is opened."
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
  description = "TRADELOOP_BROKER: paper (ours: orders fill at the session's open from the bars) or alpaca (Alpaca's paper-trading endpoint; needs alpaca_secret_arn)."
  type        = string
  default     = "paper"

  validation {
    condition     = contains(["paper", "alpaca"], var.broker)
    error_message = "broker is paper or alpaca."
  }
}

variable "alpaca_secret_arn" {
  description = "Secrets Manager ARN of the Alpaca paper-trading keys (JSON: key_id, secret_key; encrypted with the AWS managed key aws/secretsmanager). Given: TRADELOOP_ALPACA_SECRET_ARN, and the order role may read that one secret. null: no grant."
  type        = string
  default     = null

  validation {
    condition     = var.alpaca_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.alpaca_secret_arn))
    error_message = "alpaca_secret_arn is a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)."
  }

  validation {
    condition     = var.broker != "alpaca" || var.alpaca_secret_arn != null
    error_message = "broker = alpaca needs alpaca_secret_arn: the order function reads the keys from it."
  }
}

################################################################################
# Queue
################################################################################

variable "queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the order-intent queue. null: 6 x the order function's timeout (what AWS asks of an event source)."
  type        = number
  default     = null
}

variable "queue_trigger" {
  description = "Connect the order function to the intent queue (a Lambda event source mapping). Off in the embedded mode, where the local poller delivers the batches."
  type        = bool
  default     = true
}

variable "queue_maximum_concurrency" {
  description = "Most concurrent order-function instances the queue may drive (2..1000): the API keeps the rest, and throttled batches do not burn receive counts toward the DLQ."
  type        = number
  default     = 2
}

################################################################################
# Schedule
################################################################################

variable "schedule_enabled" {
  description = "Whether the daily pipeline's schedule fires (its time comes from services/common/tradeloop_common/schedule.json and the exchange calendar, in the exchange's time zone)."
  type        = bool
  default     = true
}

################################################################################
# Market data
################################################################################

variable "marketdata" {
  description = "Where the market-data function gets the session's bars: provider alpaca (keys in the stack's secret, see the marketdata_secret_arn output), stooq (public, no account) or csv (a local folder: embedded mode only); feed sip or iex (Alpaca)."
  type = object({
    provider = optional(string, "alpaca")
    feed     = optional(string, "sip")
  })
  default = {}

  validation {
    condition     = contains(["alpaca", "stooq", "csv"], var.marketdata.provider) && contains(["sip", "iex"], var.marketdata.feed)
    error_message = "marketdata.provider is alpaca, stooq or csv; marketdata.feed is sip or iex."
  }
}

################################################################################
# Dashboard
################################################################################

variable "dashboard" {
  description = "The dashboard on ECS Fargate behind an ALB (create = false: none; the embedded mode runs it locally)."
  type = object({
    create              = optional(bool, false)
    image_tag           = optional(string, "latest")
    desired_count       = optional(number, 1)
    allowed_cidrs       = optional(list(string), [])
    certificate_arn     = optional(string)
    password_secret_arn = optional(string)
  })
  default = {}
}

################################################################################
# Alerts
################################################################################

variable "alert_emails" {
  description = "Email addresses subscribed to the alerts topic."
  type        = list(string)
  default     = []
}
