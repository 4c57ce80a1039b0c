################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the queue and its DLQ."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Queue
################################################################################

variable "name" {
  description = "Queue name without the .fifo suffix; the DLQ is <name>-dlq.fifo."
  type        = string
  default     = "tradeloop-order-intents"
}

variable "visibility_timeout_seconds" {
  description = "Visibility timeout; AWS wants at least 6x the consumer Lambda's timeout."
  type        = number
  default     = 180
}

variable "message_retention_seconds" {
  description = "How long an order intent is kept (seconds)."
  type        = number
  default     = 345600
}

variable "dlq_message_retention_seconds" {
  description = "How long a dead letter is kept (seconds); longer than the source queue."
  type        = number
  default     = 1209600
}

variable "max_receive_count" {
  description = "Receives before a message moves to the DLQ."
  type        = number
  default     = 5
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for SSE-KMS. null uses SQS-managed SSE (SSE-SQS)."
  type        = string
  default     = null
}
