################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the topic and alarms."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Alerts topic
################################################################################

variable "name" {
  description = "Name of the alerts SNS topic (also prefixes the alarms)."
  type        = string
  default     = "tradeloop-alerts"
}

variable "alert_emails" {
  description = "Email addresses subscribed to the alerts topic (each must confirm)."
  type        = list(string)
  default     = []
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the topic (its key policy must allow cloudwatch.amazonaws.com). null: unencrypted."
  type        = string
  default     = null
}

################################################################################
# Alarms
################################################################################

variable "dlq_names" {
  description = "Dead-letter queue names; each gets a depth > 0 alarm."
  type        = list(string)
  default     = []
}

variable "kill_switch_metric" {
  description = "Custom metric the order service emits as 1 while trading_state is HALTED."
  type = object({
    namespace  = optional(string, "tradeloop")
    name       = optional(string, "TradingHalted")
    dimensions = optional(map(string), { service = "order" })
  })
  default = {}
}

variable "freshness_metric" {
  description = "Custom metric the market-data service emits after each session's ingest: universe symbols still without the session's bar (0 = complete)."
  type = object({
    namespace  = optional(string, "tradeloop")
    name       = optional(string, "SymbolsBehind")
    dimensions = optional(map(string), { service = "marketdata" })
  })
  default = {}
}

variable "create_api_alarm" {
  description = "Create a 5xx alarm for the HTTP API given in api_id."
  type        = bool
  default     = false
}

variable "api_id" {
  description = "HTTP API id for the 5xx alarm (see create_api_alarm)."
  type        = string
  default     = null
}
