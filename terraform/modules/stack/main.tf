################################################################################
# Locals
################################################################################

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  # One home each, also read by Python: the routes (the local router), the table schema (the
  # boto3 bootstrap) and the dashboard's unauthenticated health path (dashboard.auth).
  routes             = jsondecode(file("${path.module}/../../../services/routes.json")).routes
  tables             = jsondecode(file("${path.module}/../../../services/tables.json")).tables
  dashboard_contract = jsondecode(file("${path.module}/../../../dashboard/contract.json"))

  # Resource names keyed by the environment variable names of docs/architecture.md.
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
    TRADELOOP_ORDER_DLQ_URL     = module.queue.dlq_url
  }

  environment = merge(local.stack, {
    TRADELOOP_ACCOUNT_ID         = var.account_id_setting
    TRADELOOP_MODEL_NAME         = var.model_name
    TRADELOOP_COMMISSION_BPS     = tostring(var.commission_bps)
    TRADELOOP_SLIPPAGE_BPS       = tostring(var.slippage_bps)
    POWERTOOLS_METRICS_NAMESPACE = var.name
  }, var.extra_environment)

  function_environment = {
    for k in keys(local.services) : k => merge(local.environment, lookup(local.service_environment, k, {}), { POWERTOOLS_SERVICE_NAME = k })
  }

  function_settings = {
    for k, s in local.services : k => {
      memory_size          = coalesce(try(var.functions[k].memory_size, null), s.memory)
      timeout              = coalesce(try(var.functions[k].timeout, null), s.timeout)
      reserved_concurrency = try(var.functions[k].reserved_concurrency, -1)
    }
  }
}

################################################################################
# Storage, tables, queue
################################################################################

module "storage" {
  source = "../storage"

  buckets = {
    data = {
      name          = coalesce(var.bucket_names.data, "${var.name}-data-${local.account_id}-${local.region}")
      force_destroy = var.force_destroy
    }
    models = {
      name                               = coalesce(var.bucket_names.models, "${var.name}-models-${local.account_id}-${local.region}")
      force_destroy                      = var.force_destroy
      noncurrent_version_expiration_days = 90
    }
  }
  create_lifecycle_configuration = var.lifecycle_rules
  enforce_tls                    = var.enforce_tls

  tags = var.tags
}

module "tables" {
  source = "../tables"

  name_prefix = var.name
  tables      = local.tables

  tags = var.tags
}

module "queue" {
  source = "../queue"

  name                       = "${var.name}-order-intents"
  visibility_timeout_seconds = coalesce(var.queue_visibility_timeout_seconds, 6 * local.function_settings["order"].timeout)

  tags = var.tags
}

################################################################################
# Lambda layers and services
################################################################################

resource "aws_lambda_layer_version" "this" {
  for_each = var.create_functions ? {
    common     = "tradeloop_common + powertools, pydantic"
    signal     = "numpy + onnxruntime for the signal service"
    marketdata = "alpaca-py (+ pandas, numpy, requests) for the market-data service"
    order      = "alpaca-py for the order service's alpaca broker (no pandas, numpy)"
  } : {}

  layer_name          = "${var.name}-${each.key == "common" ? each.key : "${each.key}-runtime"}"
  description         = each.value
  filename            = "${var.package_dir}/layer-${each.key}.zip"
  source_code_hash    = try(filebase64sha256("${var.package_dir}/layer-${each.key}.zip"), null)
  compatible_runtimes = ["python3.11"]

  lifecycle {
    precondition {
      condition     = fileexists("${var.package_dir}/layer-${each.key}.zip")
      error_message = "${var.package_dir}/layer-${each.key}.zip is missing: run `make package` first."
    }
  }
}

locals {
  layer_arns = { for k in ["common", "signal", "marketdata", "order"] : k => try(aws_lambda_layer_version.this[k].arn, "") }
}

module "lambda" {
  source   = "../lambda_service"
  for_each = local.services

  create_function                = var.create_functions
  function_name                  = "${var.name}-${each.key}"
  description                    = "tradeloop ${each.key} service"
  handler                        = "${each.value.package}.main.lambda_handler"
  package_path                   = "${var.package_dir}/${each.key}.zip"
  layers                         = [for l in each.value.layers : local.layer_arns[l]]
  memory_size                    = local.function_settings[each.key].memory_size
  timeout                        = local.function_settings[each.key].timeout
  reserved_concurrent_executions = local.function_settings[each.key].reserved_concurrency
  tracing_mode                   = var.tracing_mode
  log_retention_days             = var.log_retention_days

  environment_variables = local.function_environment[each.key]

  policy_statements = local.statements[each.key]
  event_source_mappings = each.value.queue && var.queue_trigger ? {
    intents = { event_source_arn = module.queue.queue_arn, batch_size = 10, maximum_concurrency = var.queue_maximum_concurrency }
  } : {}

  # The API, and for a later step of the daily pipeline its rule (pipeline.tf). The schedule needs
  # no permission here: EventBridge Scheduler invokes with its own role.
  allowed_triggers = var.create_functions ? merge(
    { Api = { principal = "apigateway.amazonaws.com", source_arn = "${module.http_api.execution_arn}/*/*" } },
    contains(keys(local.pipeline_triggers), each.key) ? {
      Pipeline = { principal = "events.amazonaws.com", source_arn = aws_cloudwatch_event_rule.pipeline[each.key].arn }
    } : {},
  ) : {}

  create_async_event_config = var.async_failure_destination
  destination_on_failure    = module.observability.topic_arn
  alarm_actions             = [module.observability.topic_arn]

  tags = var.tags
}

################################################################################
# HTTP API and schedule
################################################################################

module "http_api" {
  source = "../http_api"

  create             = var.create_functions
  name               = var.name
  routes             = local.routes
  integrations       = { for k, m in module.lambda : k => { invoke_arn = m.invoke_arn } }
  log_retention_days = var.log_retention_days

  tags = var.tags
}

module "schedule" {
  source = "../schedule"

  create              = var.create_functions
  name                = "${var.name}-daily-pipeline"
  schedule_expression = local.pipeline_schedule
  timezone            = local.exchange_calendar.tz
  enabled             = var.schedule_enabled
  account_id          = local.account_id
  target_arn          = module.lambda[local.pipeline.steps[0].service].function_arn
  # What the first step receives: the scheduled time (a retry repeats it), from which it finds the session.
  input = jsonencode({
    "detail-type" = "Scheduled Event"
    source        = "aws.scheduler"
    time          = "<aws.scheduler.scheduled-time>"
    detail        = {}
  })

  tags = var.tags
}

################################################################################
# Dashboard
################################################################################

module "dashboard" {
  source = "../dashboard"

  create              = var.dashboard.create
  name                = "${var.name}-dashboard"
  image_tag           = var.dashboard.image_tag
  desired_count       = var.dashboard.desired_count
  allowed_cidrs       = var.dashboard.allowed_cidrs
  certificate_arn     = var.dashboard.certificate_arn
  api_execution_arn   = module.http_api.execution_arn
  password_secret_arn = var.dashboard.password_secret_arn
  health_check_path   = local.dashboard_contract.health_path
  container_port      = local.dashboard_contract.port
  log_retention_days  = var.log_retention_days

  # SigV4 with the task role (every route is AWS_IAM); TRADELOOP_ENV=aws: no password, no start.
  container_environment = merge(
    {
      TRADELOOP_API_URL   = module.http_api.api_endpoint == null ? "" : module.http_api.api_endpoint
      TRADELOOP_API_SIGV4 = "true"
      TRADELOOP_ENV       = "aws"
      AWS_REGION          = local.region
      AWS_DEFAULT_REGION  = local.region
    },
    var.dashboard.password_secret_arn == null ? {} : {
      TRADELOOP_DASHBOARD_PASSWORD_SECRET_ARN = var.dashboard.password_secret_arn
    },
  )

  tags = var.tags
}

################################################################################
# Observability
################################################################################

module "observability" {
  source = "../observability"

  name             = "${var.name}-alerts"
  alert_emails     = var.alert_emails
  dlq_names        = [module.queue.dlq_name]
  create_api_alarm = var.create_functions
  api_id           = module.http_api.api_id
  custom_metric_alarms = {
    trading-halted = {
      description         = "The kill switch is HALTED"
      namespace           = var.name
      metric_name         = "TradingHalted"
      dimensions          = { service = "order" }
      threshold           = 1
      comparison_operator = "GreaterThanOrEqualToThreshold"
    }
    loss-limit = {
      description         = "A loss limit stopped buying by itself (see GET /controls/history)"
      namespace           = var.name
      metric_name         = "LossLimitBreached"
      dimensions          = { service = "order" }
      threshold           = 1
      comparison_operator = "GreaterThanOrEqualToThreshold"
    }
    reconciliation = {
      description = "The book and the broker disagree (the session step's reconciliation)"
      namespace   = var.name
      metric_name = "ReconciliationDifferences"
      dimensions  = { service = "order" }
    }
    feature-drift = {
      description         = "The live model's inputs drifted from its training data: 1 = warn, 2 = new entries held (GET /models/health)"
      namespace           = var.name
      metric_name         = "FeatureDriftLevel"
      dimensions          = { service = "signal" }
      threshold           = 1
      comparison_operator = "GreaterThanOrEqualToThreshold"
      period              = 3600
    }
    model-decay = {
      description         = "The live model's hit rate or long return left the walk-forward's interval (GET /models/health)"
      namespace           = var.name
      metric_name         = "ModelDecay"
      dimensions          = { service = "signal" }
      threshold           = 1
      comparison_operator = "GreaterThanOrEqualToThreshold"
      period              = 3600
    }
    market-data-late = {
      description         = "After the daily ingest some symbols still lack the session's bar: the signal step HOLDs them"
      namespace           = var.name
      metric_name         = "SymbolsBehind"
      dimensions          = { service = "marketdata" }
      threshold           = 1
      comparison_operator = "GreaterThanOrEqualToThreshold"
      period              = 3600
    }
  }

  tags = var.tags
}
