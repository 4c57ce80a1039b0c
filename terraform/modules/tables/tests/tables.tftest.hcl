mock_provider "aws" {}

variables {
  tables = jsondecode(file("../../../services/tables.json")).tables
}

run "tables_match_the_contract" {
  command = plan

  assert {
    condition     = toset(keys(aws_dynamodb_table.this)) == toset(["orders", "accounts", "controls", "signals", "snapshots", "idempotency"])
    error_message = "Expected the six tables of docs/architecture.md."
  }

  assert {
    condition     = aws_dynamodb_table.this["orders"].name == "tradeloop-orders" && aws_dynamodb_table.this["orders"].hash_key == "order_id"
    error_message = "orders: name tradeloop-orders, key order_id."
  }

  assert {
    condition     = toset([for g in aws_dynamodb_table.this["orders"].global_secondary_index : g.name]) == toset(["by_account", "by_symbol", "pending"])
    error_message = "orders needs the by_account and by_symbol GSIs, and the sparse pending index."
  }

  assert {
    condition     = aws_dynamodb_table.this["accounts"].range_key == "item" && aws_dynamodb_table.this["signals"].range_key == "as_of"
    error_message = "accounts is keyed (account_id, item), signals (symbol, as_of)."
  }

  assert {
    condition     = one([for t in aws_dynamodb_table.this["idempotency"].ttl : t.attribute_name]) == "expiration"
    error_message = "The idempotency table expires records on the expiration attribute."
  }

  assert {
    condition = alltrue([
      for k, t in aws_dynamodb_table.this :
      t.billing_mode == "PAY_PER_REQUEST" && t.point_in_time_recovery[0].enabled && t.server_side_encryption[0].enabled
    ])
    error_message = "Every table is on-demand, with point-in-time recovery and SSE."
  }
}
