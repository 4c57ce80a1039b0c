################################################################################
# Locals
################################################################################

data "aws_caller_identity" "current" {}

locals {
  name   = var.name
  region = var.region
  tags = {
    Project     = "tradeloop"
    Environment = var.environment
    ManagedBy   = "terraform"
  }

  account_id  = data.aws_caller_identity.current.account_id
  package_dir = coalesce(var.package_dir, "${path.root}/../../../build/lambda")

  # One copy of the routes, shared with the local router.
  routes = jsondecode(file("${path.root}/../../../services/routes.json")).routes
}

################################################################################
# Storage, tables, queue
################################################################################

module "storage" {
  source = "../../modules/storage"

  buckets = {
    data   = { name = "${local.name}-data-${local.account_id}-${local.region}" }
    models = { name = "${local.name}-models-${local.account_id}-${local.region}", noncurrent_version_expiration_days = 90 }
  }

  tags = local.tags
}

module "tables" {
  source = "../../modules/tables"

  name_prefix = local.name

  tags = local.tags
}

module "queue" {
  source = "../../modules/queue"

  name = "${local.name}-order-intents"
  # 6 x the order function's timeout.
  visibility_timeout_seconds = 6 * 30

  tags = local.tags
}

################################################################################
# Lambda services
################################################################################

resource "aws_lambda_layer_version" "common" {
  layer_name          = "${local.name}-common"
  description         = "tradeloop_common + powertools, pydantic, numpy"
  filename            = "${local.package_dir}/layer-common.zip"
  source_code_hash    = filebase64sha256("${local.package_dir}/layer-common.zip")
  compatible_runtimes = ["python3.11"]
}

resource "aws_lambda_layer_version" "signal_runtime" {
  layer_name          = "${local.name}-signal-runtime"
  description         = "onnxruntime for the signal service"
  filename            = "${local.package_dir}/layer-signal.zip"
  source_code_hash    = filebase64sha256("${local.package_dir}/layer-signal.zip")
  compatible_runtimes = ["python3.11"]
}

locals {
  tables      = module.tables.table_arns
  data_bucket = module.storage.bucket_arns["data"]
  model_store = module.storage.bucket_arns["models"]

  # Resource names keyed by the environment variable names of docs/architecture.md (output "stack").
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

  environment = merge(local.stack, {
    TRADELOOP_ACCOUNT_ID     = var.account_id_setting
    TRADELOOP_MODEL_NAME     = var.model_name
    TRADELOOP_COMMISSION_BPS = tostring(var.commission_bps)
    TRADELOOP_SLIPPAGE_BPS   = tostring(var.slippage_bps)
  })

  dynamodb_rw = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem"]
  # Only Powertools idempotency deletes (a record whose call failed); orders and the book are never deleted.
  dynamodb_rwd  = concat(local.dynamodb_rw, ["dynamodb:DeleteItem"])
  dynamodb_read = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"]

  # Table ARN plus its indexes.
  table_resources = { for k, arn in local.tables : k => [arn, "${arn}/index/*"] }

  read_bars = {
    BarsRead = { actions = ["s3:GetObject"], resources = ["${local.data_bucket}/bars/*"] }
    BarsList = {
      actions    = ["s3:ListBucket"]
      resources  = [local.data_bucket]
      conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["bars/*"] }]
    }
  }

  services = {
    order = {
      package = "order_service"
      memory  = 512
      timeout = 30
      layers  = [aws_lambda_layer_version.common.arn]
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
      queues = { intents = { event_source_arn = module.queue.queue_arn, batch_size = 10 } }
    }
    portfolio = {
      package = "portfolio_service"
      memory  = 512
      timeout = 30
      layers  = [aws_lambda_layer_version.common.arn]
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
      memory  = 1024
      timeout = 120
      layers  = [aws_lambda_layer_version.common.arn, aws_lambda_layer_version.signal_runtime.arn]
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

  # Services the schedule invokes: signal runs the signal job, portfolio writes a snapshot.
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
  memory_size                    = each.value.memory
  timeout                        = each.value.timeout
  reserved_concurrent_executions = var.reserved_concurrency[each.key]
  log_retention_days             = var.log_retention_days

  environment_variables = merge(local.environment, {
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

  dead_letter_target_arn = module.observability.topic_arn
  alarm_actions          = [module.observability.topic_arn]

  tags = local.tags
}

################################################################################
# HTTP API and schedule
################################################################################

module "http_api" {
  source = "../../modules/http_api"

  name               = local.name
  routes             = local.routes
  integrations       = { for k, m in module.lambda : k => { invoke_arn = m.invoke_arn } }
  log_retention_days = var.log_retention_days

  tags = local.tags
}

module "schedule" {
  source = "../../modules/schedule"

  name                = "${local.name}-market-close"
  schedule_expression = var.signal_schedule
  targets             = { for k in local.scheduled_services : k => { arn = module.lambda[k].function_arn } }

  tags = local.tags
}

################################################################################
# Dashboard
################################################################################

module "dashboard" {
  source = "../../modules/dashboard"

  name                = "${local.name}-dashboard"
  image_tag           = var.dashboard_image_tag
  desired_count       = var.dashboard_desired_count
  allowed_cidrs       = var.allowed_cidrs
  certificate_arn     = var.certificate_arn
  api_execution_arn   = module.http_api.execution_arn
  password_secret_arn = var.dashboard_password_secret_arn
  log_retention_days  = var.log_retention_days

  # SigV4 with the task role (every route is AWS_IAM); TRADELOOP_ENV=aws: no password, no start.
  container_environment = merge(
    {
      TRADELOOP_API_URL   = module.http_api.api_endpoint
      TRADELOOP_API_SIGV4 = "true"
      TRADELOOP_ENV       = "aws"
      AWS_REGION          = local.region
      AWS_DEFAULT_REGION  = local.region
    },
    var.dashboard_password_secret_arn == null ? {} : {
      TRADELOOP_DASHBOARD_PASSWORD_SECRET_ARN = var.dashboard_password_secret_arn
    },
  )

  tags = local.tags
}

################################################################################
# Observability
################################################################################

module "observability" {
  source = "../../modules/observability"

  name             = "${local.name}-alerts"
  alert_emails     = var.alert_emails
  dlq_names        = [module.queue.dlq_name]
  create_api_alarm = true
  api_id           = module.http_api.api_id

  tags = local.tags
}
