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

variable "custom_metric_alarms" {
  description = "Alarms on metrics the code emits, keyed by a name (alarm <name>-<key>): namespace, metric_name, dimensions, and when to fire (statistic over period compared with threshold)."
  type = map(object({
    description         = string
    namespace           = string
    metric_name         = string
    dimensions          = optional(map(string), {})
    statistic           = optional(string, "Maximum")
    period              = optional(number, 300)
    threshold           = optional(number, 0)
    comparison_operator = optional(string, "GreaterThanThreshold")
  }))
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
