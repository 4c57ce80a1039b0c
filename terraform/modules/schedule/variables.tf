################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the schedule and its role."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource that takes them."
  type        = map(string)
  default     = {}
}

################################################################################
# Schedule
################################################################################

variable "name" {
  description = "Name of the schedule (also prefixes its role)."
  type        = string
  default     = "tradeloop-daily-pipeline"
}

variable "description" {
  description = "Description of the schedule."
  type        = string
  default     = "Start the daily pipeline after the exchange's close, on weekdays in its time zone."
}

variable "schedule_expression" {
  description = "Schedule expression, evaluated in `timezone` (e.g. cron(30 16 ? * MON-FRI *): 16:30 local time on weekdays)."
  type        = string
  default     = "cron(30 16 ? * MON-FRI *)"
}

variable "timezone" {
  description = "IANA time zone the expression is evaluated in (the exchange's: daylight saving time followed)."
  type        = string
  default     = "America/New_York"
}

variable "enabled" {
  description = "Whether the schedule fires."
  type        = bool
  default     = true
}

variable "account_id" {
  description = "The account whose schedules may assume the role (aws:SourceAccount)."
  type        = string
  default     = null
}

################################################################################
# Target
################################################################################

variable "target_arn" {
  description = "ARN of the Lambda function the schedule invokes (the role may invoke it, nothing else)."
  type        = string
  default     = null
}

variable "input" {
  description = "The event the target receives (JSON); may use context attributes such as <aws.scheduler.scheduled-time>."
  type        = string
  default     = "{}"
}

variable "maximum_retry_attempts" {
  description = "Retries when the invocation fails to be delivered."
  type        = number
  default     = 2
}

variable "maximum_event_age_in_seconds" {
  description = "How long an undelivered invocation is retried."
  type        = number
  default     = 3600
}
