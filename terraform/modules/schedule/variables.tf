################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the schedule."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Rule
################################################################################

variable "name" {
  description = "Name of the EventBridge rule."
  type        = string
  default     = "tradeloop-market-close"
}

variable "description" {
  description = "Description of the rule."
  type        = string
  default     = "Run the signal job after the US market close."
}

variable "schedule_expression" {
  description = "EventBridge schedule (UTC). Default: 21:15 UTC Monday-Friday, after the 16:00 New York close in winter and summer."
  type        = string
  default     = "cron(15 21 ? * MON-FRI *)"
}

variable "enabled" {
  description = "Whether the rule fires."
  type        = bool
  default     = true
}

################################################################################
# Targets
################################################################################

variable "targets" {
  description = "Lambda functions invoked by the rule, keyed by a target id (alphanumeric). Each function must allow events.amazonaws.com from this rule (see rule_arn)."
  type = map(object({
    arn                          = string
    maximum_retry_attempts       = optional(number, 2)
    maximum_event_age_in_seconds = optional(number, 3600)
  }))
  default = {}
}
