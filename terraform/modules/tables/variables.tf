################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the tables."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Tables
################################################################################

variable "name_prefix" {
  description = "Prefix of every table name: <name_prefix>-orders, -accounts, -controls, -signals, -snapshots, -idempotency."
  type        = string
  default     = "tradeloop"
}

variable "tables" {
  description = "Tables keyed by logical name, as in services/tables.json: hash_key, optional range_key, attributes (name -> S|N|B, key attributes only), optional gsis (name -> hash_key, range_key) and ttl_attribute."
  type = map(object({
    hash_key      = string
    range_key     = optional(string)
    attributes    = map(string)
    gsis          = optional(map(object({ hash_key = string, range_key = optional(string) })), {})
    ttl_attribute = optional(string)
  }))
  default = {}
}

variable "point_in_time_recovery" {
  description = "Enable point-in-time recovery (continuous backups) on every table."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Enable deletion protection. Leave false for a prototype that `make destroy` must tear down."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for table encryption. null uses the AWS-managed aws/dynamodb key."
  type        = string
  default     = null
}
