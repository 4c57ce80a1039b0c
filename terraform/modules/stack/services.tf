################################################################################
# The services and their permissions: written once, here
#
# envs/aws deploys these functions with these roles; the embedded mode runs each handler with
# the credentials of the same role (tradeloop_local.iam), and the emulator enforces its policy.
# A grant missing here fails locally with AccessDenied, as it would in AWS.
################################################################################

locals {
  dynamodb_read = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"]
  dynamodb_rw   = concat(local.dynamodb_read, ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"])
  # Only Powertools idempotency deletes (a record whose call failed); orders and the book are never deleted.
  dynamodb_rwd = concat(local.dynamodb_rw, ["dynamodb:DeleteItem"])

  # Table ARN plus its indexes (the orders listing queries the by_account / by_symbol GSIs).
  table_resources = { for k, arn in module.tables.table_arns : k => [arn, "${arn}/index/*"] }
  data_bucket     = module.storage.bucket_arns["data"]
  models_bucket   = module.storage.bucket_arns["models"]

  read_bars = {
    BarsRead = { actions = ["s3:GetObject"], resources = ["${local.data_bucket}/bars/*"] }
    BarsList = {
      actions    = ["s3:ListBucket"]
      resources  = [local.data_bucket]
      conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["bars/*"] }]
    }
  }

  # What each function is (its statements are below).
  services = {
    order     = { package = "order_service", memory = 512, timeout = 30, layers = ["common"], queue = true, scheduled = false }
    portfolio = { package = "portfolio_service", memory = 512, timeout = 30, layers = ["common"], queue = false, scheduled = true }
    signal    = { package = "signal_service", memory = 1024, timeout = 120, layers = ["common", "signal"], queue = false, scheduled = true }
  }

  # What each function may do.
  statements = {
    order = merge(local.read_bars, {
      TablesReadWrite = {
        actions   = local.dynamodb_rw
        resources = flatten([for t in ["orders", "accounts", "controls"] : local.table_resources[t]])
      }
      # The snapshot at a session's close after its fills (handle_session_open), or the one kept.
      SnapshotsWrite       = { actions = ["dynamodb:PutItem"], resources = [module.tables.table_arns["snapshots"]] }
      SnapshotsRead        = { actions = ["dynamodb:Query"], resources = [module.tables.table_arns["snapshots"]] }
      IdempotencyReadWrite = { actions = local.dynamodb_rwd, resources = local.table_resources["idempotency"] }
      # What the event source mapping does with the function's role.
      QueueConsume = {
        actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
        resources = [module.queue.queue_arn]
      }
      # A message that can never be processed is moved to the DLQ by the function itself: failed,
      # SQS FIFO would dead-letter the later messages of its group with it (handle_order_intents).
      DeadLetterSend = { actions = ["sqs:SendMessage"], resources = [module.queue.dlq_arn] }
    })
    portfolio = merge(local.read_bars, {
      TablesRead = {
        actions   = local.dynamodb_read
        resources = flatten([for t in ["accounts", "orders"] : local.table_resources[t]])
      }
      SnapshotsReadWrite = { actions = local.dynamodb_rw, resources = local.table_resources["snapshots"] }
      # GET /health names the live model: the pointer only, not the artifacts.
      ModelPointerRead = { actions = ["s3:GetObject"], resources = ["${local.models_bucket}/models/${var.model_name}/LATEST"] }
    })
    signal = merge(local.read_bars, {
      SignalsReadWrite = { actions = local.dynamodb_rw, resources = local.table_resources["signals"] }
      # HALTED: the run writes its signals but sends no rebalance.
      ControlsRead = { actions = ["dynamodb:GetItem"], resources = [module.tables.table_arns["controls"]] }
      ModelsRead   = { actions = ["s3:GetObject"], resources = ["${local.models_bucket}/models/*"] }
      ModelsList = {
        actions    = ["s3:ListBucket"]
        resources  = [local.models_bucket]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["models/*"] }]
      }
      QueueSend = { actions = ["sqs:SendMessage"], resources = [module.queue.queue_arn] }
    })
  }
}
