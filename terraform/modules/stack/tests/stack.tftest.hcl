# The whole stack as envs/aws deploys it, planned against a mocked provider: the security
# invariants hold for every function, route, bucket, queue and IAM statement it creates.
mock_provider "aws" {
  # Mocked ARNs are known at plan, so policies and outputs built from them are too.
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  # Placeholder zips: Terraform hashes the packages at plan time.
  package_dir = "../../tests/fixtures/lambda"
  dashboard   = { create = true, allowed_cidrs = ["203.0.113.0/24"] }
}

run "every_route_uses_aws_iam" {
  command = plan

  assert {
    condition     = length(module.http_api.route_authorization_types) == length(jsondecode(file("../../../services/routes.json")).routes)
    error_message = "Every entry of services/routes.json is a route."
  }

  assert {
    condition     = alltrue([for k, v in module.http_api.route_authorization_types : v == "AWS_IAM"])
    error_message = "Every route must have AWS_IAM authorization."
  }
}

run "every_function_has_a_log_group_with_retention" {
  command = plan

  assert {
    condition     = toset(keys(module.lambda)) == toset(["order", "portfolio", "signal", "marketdata"])
    error_message = "Four services."
  }

  assert {
    condition     = alltrue([for k, m in module.lambda : m.log_group_name == "/aws/lambda/${m.function_name}" && m.log_retention_days > 0])
    error_message = "Every function has its /aws/lambda/<name> log group with a retention."
  }

  assert {
    condition     = module.lambda["order"].function_name == "tradeloop-order" && module.lambda["signal"].function_name == "tradeloop-signal"
    error_message = "Function names are <name>-<service>."
  }
}

run "every_bucket_is_encrypted_versioned_and_not_public" {
  command = plan

  assert {
    condition     = toset(keys(module.storage.bucket_security)) == toset(["data", "models"])
    error_message = "The data and models buckets."
  }

  assert {
    condition = alltrue([
      for k, b in module.storage.bucket_security : b.versioning == "Enabled" && b.sse_algorithm == "aws:kms" && b.public_access_blocked
    ])
    error_message = "Every bucket is versioned, SSE-KMS encrypted and blocks all public access."
  }
}

run "every_queue_has_a_dlq" {
  command = plan

  assert {
    condition     = module.queue.redrive_dead_letter_target_arn == module.queue.dlq_arn && module.queue.redrive_max_receive_count == 5
    error_message = "The order-intent queue redrives to its DLQ after 5 receives."
  }
}

run "no_iam_statement_has_wildcard_actions" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for s in concat(flatten([for k, m in module.lambda : m.policy_statements]), module.dashboard.iam_statements) :
      [for a in s.Action : !strcontains(a, "*")]
    ]))
    error_message = "No IAM statement may have a \"*\" action."
  }
}

run "least_privilege_per_service" {
  command = plan

  assert {
    condition     = !contains([for s in module.lambda["portfolio"].policy_statements : s.Sid], "QueueConsume") && !contains([for s in module.lambda["portfolio"].policy_statements : s.Sid], "QueueSend")
    error_message = "portfolio touches no queue."
  }

  assert {
    condition     = contains(flatten([for s in module.lambda["order"].policy_statements : s.Action if s.Sid == "QueueConsume"]), "sqs:ReceiveMessage")
    error_message = "order consumes the queue."
  }

  assert {
    condition     = flatten([for s in module.lambda["signal"].policy_statements : s.Action if s.Sid == "QueueSend"]) == ["sqs:SendMessage"]
    error_message = "signal only sends to the queue."
  }

  assert {
    condition     = alltrue([for s in module.lambda["portfolio"].policy_statements : !contains(s.Action, "dynamodb:PutItem") if s.Sid == "TablesRead"])
    error_message = "portfolio reads accounts and orders, writes only snapshots."
  }

  assert {
    condition     = jsonencode(one([for s in module.lambda["order"].policy_statements : s.Resource if s.Sid == "DeadLetterSend"])) == jsonencode([module.queue.dlq_arn])
    error_message = "order sends to the dead-letter queue only (an unreadable intent), never to the intent queue."
  }

  assert {
    condition     = jsonencode(one([for s in module.lambda["order"].policy_statements : s.Resource if s.Sid == "SnapshotsWrite"])) == jsonencode([module.tables.table_arns["snapshots"]])
    error_message = "order writes the snapshot after a batch of fills."
  }

  assert {
    condition     = jsonencode(one([for s in module.lambda["portfolio"].policy_statements : s.Resource if s.Sid == "ModelPointerRead"])) == jsonencode(["${module.storage.bucket_arns["models"]}/models/tradeloop/LATEST"])
    error_message = "portfolio reads the LATEST pointer for /health, and nothing else of the models bucket."
  }

  assert {
    condition     = length([for s in module.lambda["signal"].policy_statements : s if anytrue([for r in s.Resource : strcontains(r, "table/tradeloop-mock") && !contains(["SignalsReadWrite", "ControlsRead"], s.Sid)])]) == 0
    error_message = "signal touches no table but its signals (and reads the kill switch)."
  }
}

run "works_on_a_new_account" {
  command = plan

  assert {
    condition     = alltrue([for k, m in module.lambda : m.reserved_concurrent_executions == -1])
    error_message = "Unreserved by default: a new account's quota of 10 leaves nothing to reserve."
  }

  assert {
    condition     = one(module.lambda["order"].event_source_mapping_maximum_concurrency) == 2
    error_message = "The queue drives at most 2 order instances: API calls keep the rest."
  }

  assert {
    condition     = jsondecode(aws_dynamodb_table_item.paper_account[0].item).cash.N == "100000"
    error_message = "The paper account is opened with initial_cash."
  }

  assert {
    condition     = module.dashboard.health_check_path == jsondecode(file("../../../dashboard/contract.json")).health_path
    error_message = "The ALB health check requests the dashboard's unauthenticated route."
  }
}

run "environment_uses_the_documented_names" {
  command = plan

  assert {
    condition = alltrue([for k, m in module.lambda : length(setsubtract([
      "TRADELOOP_ORDERS_TABLE", "TRADELOOP_ACCOUNTS_TABLE", "TRADELOOP_CONTROLS_TABLE", "TRADELOOP_SIGNALS_TABLE",
      "TRADELOOP_SNAPSHOTS_TABLE", "TRADELOOP_IDEMPOTENCY_TABLE", "TRADELOOP_DATA_BUCKET", "TRADELOOP_MODELS_BUCKET",
      "TRADELOOP_ORDER_QUEUE_URL", "TRADELOOP_ACCOUNT_ID", "TRADELOOP_MODEL_NAME", "TRADELOOP_COMMISSION_BPS",
      "TRADELOOP_SLIPPAGE_BPS",
    ], keys(m.environment_variables))) == 0])
    error_message = "Every function gets the environment variables of docs/architecture.md."
  }

  assert {
    condition     = output.stack.TRADELOOP_ORDERS_TABLE == "tradeloop-orders" && output.function_environment["order"].POWERTOOLS_SERVICE_NAME == "order"
    error_message = "The stack output is keyed by environment variable names."
  }
}

run "marketdata_writes_bars_and_its_reports_only_and_reads_its_one_secret" {
  command = plan

  assert {
    condition     = jsonencode(one([for s in module.lambda["marketdata"].policy_statements : s.Resource if s.Sid == "BarsWrite"])) == jsonencode(["${module.storage.bucket_arns["data"]}/bars/*"]) && jsonencode(one([for s in module.lambda["marketdata"].policy_statements : s.Action if s.Sid == "BarsWrite"])) == jsonencode(["s3:PutObject"])
    error_message = "marketdata puts objects under bars/ of the data bucket."
  }

  assert {
    condition = alltrue([
      for s in module.lambda["marketdata"].policy_statements : contains(["BarsWrite", "QualityReadWrite"], s.Sid) if contains(s.Action, "s3:PutObject")
    ]) && jsonencode(one([for s in module.lambda["marketdata"].policy_statements : s.Resource if s.Sid == "QualityReadWrite"])) == jsonencode(["${module.storage.bucket_arns["data"]}/quality/*"])
    error_message = "marketdata writes nothing but bars/* and its own quality/* reports."
  }

  assert {
    condition     = jsonencode([for s in module.lambda["marketdata"].policy_statements : s.Resource if anytrue([for a in s.Action : startswith(a, "secretsmanager:")])]) == jsonencode([[aws_secretsmanager_secret.marketdata.arn]]) && jsonencode(one([for s in module.lambda["marketdata"].policy_statements : s.Action if s.Sid == "ProviderKeysRead"])) == jsonencode(["secretsmanager:GetSecretValue"])
    error_message = "marketdata reads its one secret, and no other."
  }

  assert {
    condition     = alltrue([for k, m in module.lambda : !anytrue([for s in m.policy_statements : anytrue([for a in s.Action : startswith(a, "secretsmanager:")])]) if k != "marketdata"])
    error_message = "No other function reads the provider's keys."
  }

  assert {
    condition     = !anytrue([for s in module.lambda["marketdata"].policy_statements : anytrue([for a in s.Action : startswith(a, "dynamodb:") && a != "dynamodb:Query"])])
    error_message = "marketdata only queries the positions (held symbols stay marked)."
  }
}

run "the_daily_pipeline_runs_after_the_close_in_new_york_time" {
  command = plan

  assert {
    condition     = module.schedule.schedule_expression == "cron(30 16 ? * MON-FRI *)" && module.schedule.timezone == "America/New_York"
    error_message = "30 minutes after the 16:00 close, weekdays, in the exchange's time zone (not a UTC cron that moves with daylight saving time)."
  }

  assert {
    condition     = jsonencode(module.schedule.role_statements[0].Resource) == jsonencode([module.lambda["marketdata"].function_arn]) && jsonencode(module.schedule.role_statements[0].Action) == jsonencode(["lambda:InvokeFunction"])
    error_message = "The scheduler's role invokes the pipeline's first step (marketdata) and nothing else."
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_event_rule.pipeline)) == toset(["order", "signal"])
    error_message = "Each later step (fill, signal) has its rule."
  }

  assert {
    condition     = jsonencode(jsondecode(aws_cloudwatch_event_rule.pipeline["order"].event_pattern)["detail-type"]) == jsonencode(["Session Bars Ingested"]) && jsonencode(jsondecode(aws_cloudwatch_event_rule.pipeline["signal"].event_pattern)["detail-type"]) == jsonencode(["Session Filled"])
    error_message = "A step starts only on the previous step's done event."
  }

  assert {
    condition     = alltrue([for k in ["marketdata", "order", "signal"] : contains(flatten([for s in module.lambda[k].policy_statements : s.Action if s.Sid == "PipelineAnnounce"]), "events:PutEvents")]) && !contains([for s in module.lambda["portfolio"].policy_statements : s.Sid], "PipelineAnnounce")
    error_message = "The pipeline's steps announce success; the portfolio function is no step."
  }

  assert {
    condition     = output.custom_metric_alarms["tradeloop-alerts-market-data-late"].metric_name == "SymbolsBehind" && output.custom_metric_alarms["tradeloop-alerts-market-data-late"].dimensions.service == "marketdata"
    error_message = "An alarm watches the freshness metric the market-data service emits."
  }

  assert {
    condition     = output.custom_metric_alarms["tradeloop-alerts-feature-drift"].metric_name == "FeatureDriftLevel" && output.custom_metric_alarms["tradeloop-alerts-model-decay"].metric_name == "ModelDecay" && alltrue([for k in ["feature-drift", "model-decay"] : output.custom_metric_alarms["tradeloop-alerts-${k}"].dimensions.service == "signal"])
    error_message = "Alarms watch the live model's drift level (>= 1: warn) and decay, which the signal service emits."
  }
}

run "paper_broker_by_default_and_no_secret_grant" {
  command = plan

  assert {
    condition     = module.lambda["order"].environment_variables.TRADELOOP_BROKER == "paper" && !contains(keys(module.lambda["order"].environment_variables), "TRADELOOP_ALPACA_SECRET_ARN")
    error_message = "The paper broker is the default, and the order function is told of no secret."
  }

  assert {
    condition     = alltrue([for k in ["portfolio", "signal", "marketdata"] : !contains(keys(module.lambda[k].environment_variables), "TRADELOOP_BROKER")])
    error_message = "Only the order function has a broker."
  }

  assert {
    condition     = length([for s in module.lambda["order"].policy_statements : s if anytrue([for a in s.Action : startswith(a, "secretsmanager:")])]) == 0
    error_message = "Without alpaca_secret_arn the order role may read no secret."
  }

  assert {
    condition     = aws_lambda_layer_version.this["order"].layer_name == "tradeloop-order-runtime" && aws_lambda_layer_version.this["signal"].layer_name == "tradeloop-signal-runtime"
    error_message = "The order function has its own runtime layer (alpaca-py), as signal has onnxruntime."
  }
}

run "alpaca_broker_reads_its_one_secret" {
  command = plan

  variables {
    broker            = "alpaca"
    alpaca_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tradeloop-alpaca-AbCdEf"
  }

  assert {
    condition     = jsonencode(one([for s in module.lambda["order"].policy_statements : { a = s.Action, r = s.Resource } if s.Sid == "AlpacaKeysRead"])) == jsonencode({ a = ["secretsmanager:GetSecretValue"], r = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:tradeloop-alpaca-AbCdEf"] })
    error_message = "The order role may read that one secret, nothing else of Secrets Manager."
  }

  assert {
    condition     = length([for k in ["portfolio", "signal", "marketdata"] : k if anytrue([for s in module.lambda[k].policy_statements : s.Sid == "AlpacaKeysRead"])]) == 0
    error_message = "Only the order role reads the Alpaca keys."
  }

  assert {
    condition     = output.function_environment["order"].TRADELOOP_BROKER == "alpaca" && output.function_environment["order"].TRADELOOP_ALPACA_SECRET_ARN == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tradeloop-alpaca-AbCdEf"
    error_message = "The order function is told the broker and where its keys are."
  }
}

run "alpaca_broker_without_keys_is_refused" {
  command = plan

  variables {
    broker = "alpaca"
  }

  expect_failures = [var.alpaca_secret_arn]
}
