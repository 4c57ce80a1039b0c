################################################################################
# Buckets
################################################################################

output "bucket_names" {
  description = "Bucket names keyed by purpose."
  value       = { for k, b in aws_s3_bucket.this : k => b.bucket }
}

output "bucket_arns" {
  description = "Bucket ARNs keyed by purpose."
  value       = { for k, b in aws_s3_bucket.this : k => b.arn }
}

################################################################################
# Security posture (for tests and review)
################################################################################

output "bucket_security" {
  description = "Per bucket: versioning status, SSE algorithm, and whether all public access is blocked."
  value = {
    for k, b in aws_s3_bucket.this : k => {
      versioning            = aws_s3_bucket_versioning.this[k].versioning_configuration[0].status
      sse_algorithm         = one([for r in aws_s3_bucket_server_side_encryption_configuration.this[k].rule : r.apply_server_side_encryption_by_default[0].sse_algorithm])
      public_access_blocked = alltrue([for f in ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] : aws_s3_bucket_public_access_block.this[k][f]])
    }
  }
}
