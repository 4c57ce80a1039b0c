################################################################################
# Schema (the contract in docs/architecture.md, "Data stores")
################################################################################

locals {
  # Every table is on-demand; attributes list only the key attributes (DynamoDB is schemaless).
  tables = {
    orders = {
      hash_key  = "order_id"
      range_key = null
      attributes = {
        order_id    = "S"
        account_id  = "S"
        symbol      = "S"
        created_key = "S"
      }
      gsis = {
        by_account = { hash_key = "account_id", range_key = "created_key" }
        by_symbol  = { hash_key = "symbol", range_key = "created_key" }
      }
      ttl_attribute = null
    }
    accounts = {
      hash_key      = "account_id"
      range_key     = "item"
      attributes    = { account_id = "S", item = "S" }
      gsis          = {}
      ttl_attribute = null
    }
    controls = {
      hash_key      = "account_id"
      range_key     = null
      attributes    = { account_id = "S" }
      gsis          = {}
      ttl_attribute = null
    }
    signals = {
      hash_key      = "symbol"
      range_key     = "as_of"
      attributes    = { symbol = "S", as_of = "S" }
      gsis          = {}
      ttl_attribute = null
    }
    snapshots = {
      hash_key      = "account_id"
      range_key     = "as_of"
      attributes    = { account_id = "S", as_of = "S" }
      gsis          = {}
      ttl_attribute = null
    }
    idempotency = {
      hash_key      = "id"
      range_key     = null
      attributes    = { id = "S" }
      gsis          = {}
      ttl_attribute = "expiration"
    }
  }

  enabled = var.create ? local.tables : {}
}

################################################################################
# Tables
################################################################################

resource "aws_dynamodb_table" "this" {
  for_each = local.enabled

  name                        = "${var.name_prefix}-${each.key}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value.hash_key
  range_key                   = each.value.range_key
  deletion_protection_enabled = var.deletion_protection

  dynamic "attribute" {
    for_each = each.value.attributes
    content {
      name = attribute.key
      type = attribute.value
    }
  }

  dynamic "global_secondary_index" {
    for_each = each.value.gsis
    content {
      name            = global_secondary_index.key
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = "ALL"
    }
  }

  dynamic "ttl" {
    for_each = each.value.ttl_attribute == null ? [] : [each.value.ttl_attribute]
    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  # kms_key_arn null = the AWS-managed aws/dynamodb key (no key charge).
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = merge(var.tags, { Table = each.key })
}
