################################################################################
# Tables
################################################################################

output "table_names" {
  description = "Table names keyed by logical name (orders, accounts, controls, signals, snapshots, idempotency)."
  value       = { for k, t in aws_dynamodb_table.this : k => t.name }
}

output "table_arns" {
  description = "Table ARNs keyed by logical name."
  value       = { for k, t in aws_dynamodb_table.this : k => t.arn }
}
