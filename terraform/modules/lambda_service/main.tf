################################################################################
# Function
################################################################################

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:No VPC: the function only calls AWS APIs, and a VPC would need NAT gateways or endpoints (cost).
  #checkov:skip=CKV_AWS_173:Environment variables hold resource names only, no secrets; the default Lambda key encrypts them at rest.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; packages are built reproducibly by scripts/package_lambdas.py.
  count = var.create ? 1 : 0

  function_name                  = var.function_name
  description                    = var.description
  role                           = aws_iam_role.this[0].arn
  handler                        = var.handler
  runtime                        = var.runtime
  architectures                  = ["x86_64"]
  filename                       = var.package_path
  source_code_hash               = filebase64sha256(var.package_path)
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

  dynamic "dead_letter_config" {
    for_each = var.dead_letter_target_arn == null ? [] : [var.dead_letter_target_arn]
    content {
      target_arn = dead_letter_config.value
    }
  }

  tags = var.tags

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

resource "aws_lambda_permission" "this" {
  for_each = var.create ? var.allowed_triggers : {}

  statement_id  = "Allow${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[0].function_name
  principal     = each.value.principal
  source_arn    = each.value.source_arn
}

resource "aws_lambda_event_source_mapping" "this" {
  for_each = var.create ? var.event_source_mappings : {}

  event_source_arn        = each.value.event_source_arn
  function_name           = aws_lambda_function.this[0].arn
  batch_size              = each.value.batch_size
  enabled                 = each.value.enabled
  function_response_types = ["ReportBatchItemFailures"]
}

################################################################################
# Alarms
################################################################################

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = var.create && var.create_alarms ? toset(["Errors", "Throttles"]) : toset([])

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
