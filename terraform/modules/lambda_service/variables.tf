################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create anything (role, policy, log group, function)."
  type        = bool
  default     = true
}

variable "create_function" {
  description = "Whether to create the function, its triggers and alarms. false keeps the role, its policy and the log group (the embedded mode runs the handler with the role's credentials)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Function
################################################################################

variable "function_name" {
  description = "Name of the Lambda function (also names its role, log group and alarms)."
  type        = string
  default     = "tradeloop-service"
}

variable "description" {
  description = "Description of the function."
  type        = string
  default     = ""
}

variable "handler" {
  description = "Handler entry point, <package>.main.lambda_handler."
  type        = string
  default     = "main.lambda_handler"
}

variable "runtime" {
  description = "Lambda runtime."
  type        = string
  default     = "python3.11"
}

variable "package_path" {
  description = "Path of the deployment zip built by scripts/package_lambdas.py."
  type        = string
  default     = "function.zip"
}

variable "layers" {
  description = "Layer version ARNs (the shared tradeloop_common layer, plus runtime layers)."
  type        = list(string)
  default     = []
}

variable "memory_size" {
  description = "Memory in MB (CPU scales with it)."
  type        = number
  default     = 512
}

variable "timeout" {
  description = "Timeout in seconds."
  type        = number
  default     = 30
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency (-1: unreserved). A new account's quota is 10 and AWS keeps 10 unreserved, so any reservation fails there until the quota is raised."
  type        = number
  default     = -1
}

variable "environment_variables" {
  description = "Environment variables (names as in docs/architecture.md)."
  type        = map(string)
  default     = {}
}

variable "tracing_mode" {
  description = "X-Ray tracing mode: Active or PassThrough."
  type        = string
  default     = "Active"

  validation {
    condition     = contains(["Active", "PassThrough"], var.tracing_mode)
    error_message = "tracing_mode must be Active or PassThrough."
  }
}

variable "create_async_event_config" {
  description = "Configure asynchronous invocations: two retries, then the event goes to destination_on_failure."
  type        = bool
  default     = false
}

variable "destination_on_failure" {
  description = "SNS topic or SQS queue ARN receiving failed asynchronous invocations (e.g. the scheduled run), after Lambda's two retries."
  type        = string
  default     = null
}

################################################################################
# Logs
################################################################################

variable "log_retention_days" {
  description = "Retention of the function's log group, in days."
  type        = number
  default     = 30
}

################################################################################
# Permissions
################################################################################

variable "policy_statements" {
  description = "Least-privilege IAM statements of the service, keyed by statement id (alphanumeric)."
  type = map(object({
    effect    = optional(string, "Allow")
    actions   = list(string)
    resources = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default = {}
}

variable "allowed_triggers" {
  description = "Who may invoke the function, keyed by a name (alphanumeric): principal service and the source ARN it is scoped to."
  type = map(object({
    principal  = string
    source_arn = string
  }))
  default = {}
}

variable "event_source_mappings" {
  description = "Queues the function consumes, keyed by a name. Partial batch failures are always reported; maximum_concurrency (2..1000) caps the instances the queue drives."
  type = map(object({
    event_source_arn    = string
    batch_size          = optional(number, 10)
    enabled             = optional(bool, true)
    maximum_concurrency = optional(number)
  }))
  default = {}
}

################################################################################
# Alarms
################################################################################

variable "create_alarms" {
  description = "Create Errors and Throttles alarms for the function."
  type        = bool
  default     = true
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm changes state (e.g. the alerts SNS topic)."
  type        = list(string)
  default     = []
}
