################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the buckets."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

################################################################################
# Buckets
################################################################################

variable "buckets" {
  description = "Buckets to create, keyed by purpose (e.g. data, models). name is the globally unique bucket name."
  type = map(object({
    name                               = string
    force_destroy                      = optional(bool, false)
    noncurrent_version_expiration_days = optional(number, 30)
  }))
  default = {}
}

variable "create_lifecycle_configuration" {
  description = "Whether to add the lifecycle rules (expire noncurrent versions, abort stale multipart uploads). Off only for emulators, where nothing expires and the provider waits about 55 s for the rules to settle."
  type        = bool
  default     = true
}

variable "enforce_tls" {
  description = "Attach the bucket policy that denies requests without TLS. Off only for emulators serving plain HTTP (moto evaluates the policy and would deny every request)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key for SSE-KMS. null uses the AWS-managed aws/s3 key."
  type        = string
  default     = null
}
