mock_provider "aws" {}

variables {
  buckets = {
    data   = { name = "tradeloop-data-test" }
    models = { name = "tradeloop-models-test", noncurrent_version_expiration_days = 90 }
  }
}

run "every_bucket_is_encrypted_versioned_and_not_public" {
  # apply against the mock provider: policies embed bucket ARNs, known only after apply.
  command = apply

  assert {
    condition     = length(aws_s3_bucket.this) == 2
    error_message = "Expected the data and models buckets."
  }

  assert {
    condition     = alltrue([for k, v in aws_s3_bucket_versioning.this : v.versioning_configuration[0].status == "Enabled"]) && length(aws_s3_bucket_versioning.this) == length(aws_s3_bucket.this)
    error_message = "Every bucket must be versioned."
  }

  assert {
    condition = length(aws_s3_bucket_server_side_encryption_configuration.this) == length(aws_s3_bucket.this) && alltrue([
      for k, v in aws_s3_bucket_server_side_encryption_configuration.this :
      one([for r in v.rule : r.apply_server_side_encryption_by_default[0].sse_algorithm]) == "aws:kms"
    ])
    error_message = "Every bucket must be encrypted with SSE-KMS."
  }

  assert {
    condition = length(aws_s3_bucket_public_access_block.this) == length(aws_s3_bucket.this) && alltrue([
      for k, v in aws_s3_bucket_public_access_block.this :
      v.block_public_acls && v.block_public_policy && v.ignore_public_acls && v.restrict_public_buckets
    ])
    error_message = "Every bucket must block all public access."
  }

  assert {
    condition = alltrue([
      for k, v in aws_s3_bucket_policy.this :
      jsondecode(v.policy).Statement[0].Effect == "Deny" && jsondecode(v.policy).Statement[0].Condition.Bool["aws:SecureTransport"] == "false"
    ]) && length(aws_s3_bucket_policy.this) == length(aws_s3_bucket.this)
    error_message = "Every bucket must deny requests without TLS."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.this["models"].rule : r.noncurrent_version_expiration[0].noncurrent_days]) == 90
    error_message = "Noncurrent versions must expire as configured."
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_s3_bucket.this) == 0
    error_message = "create = false must create no bucket."
  }
}

run "emulator_buckets_skip_lifecycle_and_tls_policy_only" {
  command = plan

  variables {
    create_lifecycle_configuration = false
    enforce_tls                    = false
  }

  assert {
    condition     = length(aws_s3_bucket_lifecycle_configuration.this) == 0 && length(aws_s3_bucket_policy.this) == 0
    error_message = "create_lifecycle_configuration = false and enforce_tls = false drop the lifecycle rules and the TLS-only policy."
  }

  assert {
    condition     = length(aws_s3_bucket_versioning.this) == 2 && length(aws_s3_bucket_public_access_block.this) == 2 && length(aws_s3_bucket_server_side_encryption_configuration.this) == 2
    error_message = "Emulator buckets are still versioned, encrypted and private."
  }
}
