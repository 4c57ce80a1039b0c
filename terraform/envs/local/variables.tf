################################################################################
# Emulator
################################################################################

variable "aws_endpoint_url" {
  description = "Endpoint of the AWS emulator (moto server or LocalStack); the same value the local runtime reads from AWS_ENDPOINT_URL. Credentials come from the environment (the emulator's administrator)."
  type        = string
  default     = "http://127.0.0.1:4566"
}

variable "region" {
  description = "Region the emulator is addressed in."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name prefix: gives the local default names of docs/architecture.md (tradeloop-orders, tradeloop-data, ...)."
  type        = string
  default     = "tradeloop"
}

################################################################################
# What to provision
################################################################################

variable "enable_compute" {
  description = "Also provision the Lambda functions, HTTP API and schedule (the emulator stores them; the local runtime runs the code). Needs the zips in package_dir. Roles, policies, tables, buckets, queues and alarms are provisioned either way."
  type        = bool
  default     = false
}

variable "package_dir" {
  description = "Directory holding the zips built by `make package`. null: <repo>/build/lambda."
  type        = string
  default     = null
}

variable "enable_lifecycle_rules" {
  description = "Add the buckets' lifecycle rules, as in AWS. false saves about 55 s of apply against moto (nothing expires in an emulator)."
  type        = bool
  default     = true
}

variable "queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the order-intent queue: how soon the local poller sees a failed intent again (the embedded runtime uses 10)."
  type        = number
  default     = 180
}

variable "initial_cash" {
  description = "Cash the paper account opens with (once)."
  type        = number
  default     = 100000
}

variable "log_retention_days" {
  description = "Retention of every log group, in days."
  type        = number
  default     = 7
}
