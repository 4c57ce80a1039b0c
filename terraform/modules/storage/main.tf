################################################################################
# Buckets
################################################################################

locals {
  # Every per-bucket resource iterates over the same map (rather than over
  # aws_s3_bucket.this), which also lets checkov tie each setting to its bucket.
  buckets = var.create ? var.buckets : {}
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Access logging needs a second log bucket per account; CloudTrail data events cover audits when needed.
  #checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; market data and models are reproducible from ml/.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications; the signal job reads on schedule.
  for_each = local.buckets

  bucket        = each.value.name
  force_destroy = each.value.force_destroy

  tags = merge(var.tags, { Purpose = each.key })
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = local.buckets

  bucket                  = aws_s3_bucket.this[each.key].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

################################################################################
# Versioning and encryption
################################################################################

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = local.buckets

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    # aws:kms without a key id uses the AWS-managed aws/s3 key: KMS at no key cost, and the
    # bucket key keeps request charges down.
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

################################################################################
# Lifecycle
################################################################################

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = var.create_lifecycle_configuration ? local.buckets : {}

  bucket = aws_s3_bucket.this[each.key].id

  rule {
    id     = "noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = each.value.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # The lifecycle API rejects a rule set while versioning is still being switched on.
  depends_on = [aws_s3_bucket_versioning.this]
}

################################################################################
# TLS-only bucket policy
################################################################################

resource "aws_s3_bucket_policy" "this" {
  for_each = var.enforce_tls ? local.buckets : {}

  bucket = aws_s3_bucket.this[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.this[each.key].arn, "${aws_s3_bucket.this[each.key].arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  # A bucket policy put before the public access block can be rejected as public.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
