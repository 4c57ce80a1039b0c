################################################################################
# The services and their permissions: written once, here
#
# envs/aws deploys these functions with these roles; the embedded mode runs each handler with
# the credentials of the same role (tradeloop_local.emulator_iam), and the emulator enforces its policy.
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

  # The daily pipeline's steps announce success on the default bus (tradeloop_common.pipeline).
  default_bus = "arn:aws:events:${local.region}:${local.account_id}:event-bus/default"
  announce = {
    PipelineAnnounce = { actions = ["events:PutEvents"], resources = [local.default_bus] }
  }

  read_bars = {
    BarsRead = { actions = ["s3:GetObject"], resources = ["${local.data_bucket}/bars/*"] }
    BarsList = {
      actions    = ["s3:ListBucket"]
      resources  = [local.data_bucket]
      conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["bars/*"] }]
    }
  }

  # What each function is (its statements are below). The schedule starts the daily pipeline's
  # first step (marketdata); each later step is started by the previous one (pipeline.tf).
  services = {
    order      = { package = "order_service", memory = 512, timeout = 30, layers = ["common", "order"], queue = true }
    portfolio  = { package = "portfolio_service", memory = 512, timeout = 30, layers = ["common"], queue = false }
    signal     = { package = "signal_service", memory = 1024, timeout = 120, layers = ["common", "signal"], queue = false }
    marketdata = { package = "marketdata_service", memory = 1024, timeout = 300, layers = ["common", "marketdata"], queue = false }
  }

  # Settings only one function has.
  service_environment = {
    # The broker (order_service.brokers) and, for alpaca, where its keys are.
    order = merge(
      { TRADELOOP_BROKER = var.broker },
      var.alpaca_secret_arn == null ? {} : { TRADELOOP_ALPACA_SECRET_ARN = var.alpaca_secret_arn },
    )
    marketdata = {
      TRADELOOP_MARKETDATA_PROVIDER   = var.marketdata.provider
      TRADELOOP_MARKETDATA_FEED       = var.marketdata.feed
      TRADELOOP_MARKETDATA_SECRET_ARN = aws_secretsmanager_secret.marketdata.arn
    }
  }

  # What each function may do.
  statements = {
    order = merge(local.read_bars, local.announce, {
      TablesReadWrite = {
        actions   = local.dynamodb_rw
        resources = flatten([for t in ["orders", "accounts", "controls"] : local.table_resources[t]])
      }
      # The fill step's snapshot at the session's close (handlers/handle_pipeline.py), or the one kept.
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
      }, var.alpaca_secret_arn == null ? {} : {
      # The alpaca broker's API keys (order_service.brokers.alpaca): that one secret, read only.
      AlpacaKeysRead = { actions = ["secretsmanager:GetSecretValue"], resources = [var.alpaca_secret_arn] }
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
    signal = merge(local.read_bars, local.announce, {
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
    # Writes bars/* and its own quality/ reports, nothing else; reads the live model's pointer and
    # manifests (the universe), the positions (held symbols stay marked), and its one secret.
    marketdata = merge(local.read_bars, local.announce, {
      BarsWrite        = { actions = ["s3:PutObject"], resources = ["${local.data_bucket}/bars/*"] }
      QualityReadWrite = { actions = ["s3:GetObject", "s3:PutObject"], resources = ["${local.data_bucket}/quality/*"] }
      # A missing object answers 404 (not 403) only to who may list its prefix.
      QualityList = {
        actions    = ["s3:ListBucket"]
        resources  = [local.data_bucket]
        conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["quality/*"] }]
      }
      ModelManifestRead = {
        actions = ["s3:GetObject"]
        resources = [
          "${local.models_bucket}/models/${var.model_name}/LATEST",
          "${local.models_bucket}/models/${var.model_name}/*/manifest.json",
        ]
      }
      PositionsRead    = { actions = ["dynamodb:Query"], resources = [module.tables.table_arns["accounts"]] }
      ProviderKeysRead = { actions = ["secretsmanager:GetSecretValue"], resources = [aws_secretsmanager_secret.marketdata.arn] }
    })
  }
}
