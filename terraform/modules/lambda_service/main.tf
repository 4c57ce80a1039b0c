################################################################################
# Function
################################################################################

locals {
  # The role, its policy and the log group exist without the function: the embedded mode runs
  # the handler itself, with this role's credentials.
  create_function = var.create && var.create_function
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:No VPC: the function only calls AWS APIs, and a VPC would need NAT gateways or endpoints (cost).
  #checkov:skip=CKV_AWS_173:Environment variables hold resource names only, no secrets; the default Lambda key encrypts them at rest.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; packages are built reproducibly by scripts/package_lambdas.py.
  #checkov:skip=CKV_AWS_116:Failed asynchronous invocations go to an on-failure destination (aws_lambda_function_event_invoke_config below), which carries the error as well as the event; a DLQ would duplicate it.
  count = local.create_function ? 1 : 0

  function_name = var.function_name
  description   = var.description
  role          = aws_iam_role.this[0].arn
  handler       = var.handler
  runtime       = var.runtime
  architectures = ["x86_64"]
  filename      = var.package_path
  # try(): a destroy from a clean clone (no zips built) must still plan.
  source_code_hash               = try(filebase64sha256(var.package_path), null)
  layers                         = var.layers
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    variables = var.environment_variables
  }

  tracing_config {
    mode = var.tracing_mode
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = fileexists(var.package_path)
      error_message = "${var.package_path} is missing: run `make package` first."
    }
  }

  # The log group must exist (with its retention) before the first invocation, or Lambda
  # creates one that never expires; the role's policy must exist before the event source
  # mapping validates queue access.
  # https://github.com/terraform-aws-modules/terraform-aws-lambda/issues/36
  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]
}

################################################################################
# Triggers
################################################################################

# Failed asynchronous invocations (the scheduled runs, after Lambda's retries) go to a topic or
# queue. An on-failure destination rather than dead_letter_config: it carries the error and the
# event, and emulators return it on read (a dead_letter_config showed a change on every plan).
resource "aws_lambda_function_event_invoke_config" "this" {
  count = local.create_function && var.create_async_event_config ? 1 : 0

  function_name                = aws_lambda_function.this[0].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = var.destination_on_failure
    }
  }
}

resource "aws_lambda_permission" "this" {
  for_each = local.create_function ? var.allowed_triggers : {}

  statement_id  = "Allow${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[0].function_name
  principal     = each.value.principal
  source_arn    = each.value.source_arn
}

resource "aws_lambda_event_source_mapping" "this" {
  for_each = local.create_function ? var.event_source_mappings : {}

  event_source_arn        = each.value.event_source_arn
  function_name           = aws_lambda_function.this[0].arn
  batch_size              = each.value.batch_size
  enabled                 = each.value.enabled
  function_response_types = ["ReportBatchItemFailures"]

  # Caps the instances the queue drives, below the function's concurrency: beyond it, Lambda
  # leaves messages in the queue instead of throttling invocations, and a throttled batch
  # would still count as received toward the DLQ.
  dynamic "scaling_config" {
    for_each = each.value.maximum_concurrency == null ? [] : [each.value.maximum_concurrency]
    content {
      maximum_concurrency = scaling_config.value
    }
  }
}

################################################################################
# Alarms
################################################################################

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.create_function && var.create_alarms ? toset(["Errors", "Throttles"]) : toset([])

  alarm_name          = "${var.function_name}-${lower(each.key)}"
  alarm_description   = "${each.key} of the ${var.function_name} function."
  namespace           = "AWS/Lambda"
  metric_name         = each.key
  dimensions          = { FunctionName = aws_lambda_function.this[0].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  tags = var.tags
}
