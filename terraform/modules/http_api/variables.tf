################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the API."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# API
################################################################################

variable "name" {
  description = "Name of the HTTP API (also names its access log group)."
  type        = string
  default     = "tradeloop"
}

variable "description" {
  description = "Description of the API."
  type        = string
  default     = "tradeloop HTTP API (IAM auth)"
}

################################################################################
# Routes and integrations
################################################################################

variable "routes" {
  description = "Routes, as in services/routes.json: each with method, path and the service that serves it. Every route gets AWS_IAM authorization."
  type = list(object({
    method  = string
    path    = string
    service = string
  }))
  default = []
}

variable "integrations" {
  description = "Lambda integration per service name used in routes: the function's invoke ARN."
  type = map(object({
    invoke_arn           = string
    timeout_milliseconds = optional(number, 29000)
  }))
  default = {}
}

################################################################################
# Stage
################################################################################

variable "throttling_burst_limit" {
  description = "Stage-wide burst limit (requests)."
  type        = number
  default     = 50
}

variable "throttling_rate_limit" {
  description = "Stage-wide steady rate limit (requests per second)."
  type        = number
  default     = 20
}

variable "log_retention_days" {
  description = "Retention of the access log group, in days."
  type        = number
  default     = 30
}
