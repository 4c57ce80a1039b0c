################################################################################
# Resource names for the local runtime
################################################################################

locals {
  stack = {
    TRADELOOP_ORDERS_TABLE      = module.tables.table_names["orders"]
    TRADELOOP_ACCOUNTS_TABLE    = module.tables.table_names["accounts"]
    TRADELOOP_CONTROLS_TABLE    = module.tables.table_names["controls"]
    TRADELOOP_SIGNALS_TABLE     = module.tables.table_names["signals"]
    TRADELOOP_SNAPSHOTS_TABLE   = module.tables.table_names["snapshots"]
    TRADELOOP_IDEMPOTENCY_TABLE = module.tables.table_names["idempotency"]
    TRADELOOP_DATA_BUCKET       = module.storage.bucket_names["data"]
    TRADELOOP_MODELS_BUCKET     = module.storage.bucket_names["models"]
    TRADELOOP_ORDER_QUEUE_URL   = module.queue.queue_url
  }
}

output "stack" {
  description = "Resource names keyed by the environment variable names of docs/architecture.md, plus AWS_ENDPOINT_URL: `terraform output -json stack` is what .tradeloop/stack.json holds."
  value       = merge(local.stack, { AWS_ENDPOINT_URL = var.aws_endpoint_url })
}

output "order_dlq_url" {
  description = "URL of the order-intent dead-letter queue."
  value       = module.queue.dlq_url
}

output "api_id" {
  description = "HTTP API id stored in the emulator (enable_compute only)."
  value       = module.http_api.api_id
}

output "function_names" {
  description = "Lambda function names stored in the emulator (enable_compute only)."
  value       = { for k, m in module.lambda : k => m.function_name }
}
