################################################################################
# Locals
################################################################################

data "aws_caller_identity" "current" {}

locals {
  name   = var.name
  region = var.region
  tags = {
    Project     = "tradeloop"
    Environment = "local"
    ManagedBy   = "terraform"
  }

  package_dir = coalesce(var.package_dir, "${path.root}/../../../build/lambda")
  routes      = jsondecode(file("${path.root}/../../../services/routes.json")).routes
  services    = { for k, v in local.service_config : k => v if var.enable_compute }
}

################################################################################
# Storage, tables, queue: what the embedded and compose modes need
################################################################################

module "storage" {
  source = "../../modules/storage"

  # The local default names of docs/architecture.md; emptied buckets go with `destroy`.
  buckets = {
    data   = { name = "${local.name}-data", force_destroy = true }
    models = { name = "${local.name}-models", force_destroy = true }
  }
  # The provider polls a lifecycle configuration until it settles (about 55 s against moto);
  # `make up` turns it off to provision the embedded stack in about a minute.
  create_lifecycle_configuration = var.enable_lifecycle_rules
  # The emulator serves plain HTTP and moto evaluates bucket policies: a TLS-only policy
  # would deny every request the local runtime makes.
  enforce_tls = false

  tags = local.tags
}

module "tables" {
  source = "../../modules/tables"

  name_prefix = local.name

  tags = local.tags
}

module "queue" {
  source = "../../modules/queue"

  name                       = "${local.name}-order-intents"
  visibility_timeout_seconds = var.queue_visibility_timeout_seconds

  tags = local.tags
}

################################################################################
# Lambda services (optional: the emulator stores them, the local runtime runs the code)
################################################################################

resource "aws_lambda_layer_version" "common" {
  count = var.enable_compute ? 1 : 0

  layer_name          = "${local.name}-common"
  filename            = "${local.package_dir}/layer-common.zip"
  source_code_hash    = filebase64sha256("${local.package_dir}/layer-common.zip")
  compatible_runtimes = ["python3.11"]
}

resource "aws_lambda_layer_version" "signal_runtime" {
  count = var.enable_compute ? 1 : 0

  layer_name          = "${local.name}-signal-runtime"
  filename            = "${local.package_dir}/layer-signal.zip"
  source_code_hash    = filebase64sha256("${local.package_dir}/layer-signal.zip")
  compatible_runtimes = ["python3.11"]
}

locals {
  tables      = module.tables.table_arns
  data_bucket = module.storage.bucket_arns["data"]
  model_store = module.storage.bucket_arns["models"]

  environment = merge(local.stack, {
    TRADELOOP_ACCOUNT_ID     = "paper"
    TRADELOOP_MODEL_NAME     = "tradeloop"
    TRADELOOP_COMMISSION_BPS = "1"
    TRADELOOP_SLIPPAGE_BPS   = "5"
  })

  dynamodb_rw = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"]
  # Only Powertools idempotency deletes (a record whose call failed); orders and the book are never deleted.
  dynamodb_rwd    = concat(local.dynamodb_rw, ["dynamodb:DeleteItem"])
  dynamodb_read   = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"]
  table_resources = { for k, arn in local.tables : k => [arn, "${arn}/index/*"] }
  common_layer    = try(aws_lambda_layer_version.common[0].arn, "")
  signal_layer    = try(aws_lambda_layer_version.signal_runtime[0].arn, "")

  read_bars = {
    BarsRead = { actions = ["s3:GetObject"], resources = ["${local.data_bucket}/bars/*"] }
    BarsList = {
      actions    = ["s3:ListBucket"]
      resources  = [local.data_bucket]
      conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["bars/*"] }]
    }
  }

  # Same services and permissions as envs/aws.
  service_config = {
    order = {
      package = "order_service"
      timeout = 30
      layers  = [local.common_layer]
      statements = merge(local.read_bars, {
        TablesReadWrite = {
          actions   = local.dynamodb_rw
          resources = flatten([for t in ["orders", "accounts", "controls"] : local.table_resources[t]])
        }
        IdempotencyReadWrite = { actions = local.dynamodb_rwd, resources = local.table_resources["idempotency"] }
        QueueConsume = {
          actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"]
          resources = [module.queue.queue_arn]
        }
      })
      # The local poller feeds the order handler; a mapping here would only be stored.
      queues = {}
    }
    portfolio = {
      package = "portfolio_service"
      timeout = 30
      layers  = [local.common_layer]
      statements = merge(local.read_bars, {
        TablesRead = {
          actions   = local.dynamodb_read
          resources = flatten([for t in ["accounts", "orders"] : local.table_resources[t]])
        }
        SnapshotsReadWrite = { actions = local.dynamodb_rw, resources = local.table_resources["snapshots"] }
      })
      queues = {}
    }
    signal = {
      package = "signal_service"
      timeout = 120
      layers  = [local.common_layer, local.signal_layer]
      statements = merge(local.read_bars, {
        SignalsReadWrite = { actions = local.dynamodb_rw, resources = local.table_resources["signals"] }
        TablesRead = {
          actions   = local.dynamodb_read
          resources = flatten([for t in ["accounts", "controls"] : local.table_resources[t]])
        }
        ModelsRead = { actions = ["s3:GetObject"], resources = ["${local.model_store}/models/*"] }
        ModelsList = {
          actions    = ["s3:ListBucket"]
          resources  = [local.model_store]
          conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["models/*"] }]
        }
        QueueSend = { actions = ["sqs:SendMessage"], resources = [module.queue.queue_arn] }
      })
      queues = {}
    }
  }

  scheduled_services = ["signal", "portfolio"]
}

module "lambda" {
  source   = "../../modules/lambda_service"
  for_each = local.services

  function_name                  = "${local.name}-${each.key}"
  description                    = "tradeloop ${each.key} service"
  handler                        = "${each.value.package}.main.lambda_handler"
  package_path                   = "${local.package_dir}/${each.key}.zip"
  layers                         = each.value.layers
  timeout                        = each.value.timeout
  reserved_concurrent_executions = 2
  log_retention_days             = var.log_retention_days

  environment_variables = merge(local.environment, {
    AWS_ENDPOINT_URL             = var.aws_endpoint_url
    POWERTOOLS_SERVICE_NAME      = each.key
    POWERTOOLS_METRICS_NAMESPACE = local.name
  })

  policy_statements     = each.value.statements
  event_source_mappings = each.value.queues

  allowed_triggers = merge(
    { Api = { principal = "apigateway.amazonaws.com", source_arn = "${module.http_api.execution_arn}/*/*" } },
    contains(local.scheduled_services, each.key) ? {
      Schedule = { principal = "events.amazonaws.com", source_arn = module.schedule.rule_arn }
    } : {},
  )

  # No dead_letter_config here: moto does not return it, so every plan would show a change.
  # envs/aws sets it (failed asynchronous invocations go to the alerts topic).
  dead_letter_target_arn = null
  alarm_actions          = [module.observability.topic_arn]

  tags = local.tags
}

module "http_api" {
  source = "../../modules/http_api"

  create             = var.enable_compute
  name               = local.name
  routes             = local.routes
  integrations       = { for k, m in module.lambda : k => { invoke_arn = m.invoke_arn } }
  log_retention_days = var.log_retention_days

  tags = local.tags
}

module "schedule" {
  source = "../../modules/schedule"

  create  = var.enable_compute
  name    = "${local.name}-market-close"
  targets = { for k in local.scheduled_services : k => { arn = module.lambda[k].function_arn } if var.enable_compute }

  tags = local.tags
}

module "observability" {
  source = "../../modules/observability"

  create           = var.enable_compute
  name             = "${local.name}-alerts"
  dlq_names        = [module.queue.dlq_name]
  create_api_alarm = true
  api_id           = module.http_api.api_id

  tags = local.tags
}
