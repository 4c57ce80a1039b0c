mock_provider "aws" {
  # Mocked ARNs are known at plan, so the rendered policies and task definition are too.
  override_during = plan

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/tradeloop-order"
    }
  }
}

variables {
  function_name = "tradeloop-order"
  handler       = "order_service.main.lambda_handler"
  package_path  = "../../tests/fixtures/lambda/order.zip"
  environment_variables = {
    TRADELOOP_ORDERS_TABLE = "tradeloop-orders"
  }
  policy_statements = {
    TablesReadWrite = {
      actions   = ["dynamodb:GetItem", "dynamodb:PutItem"]
      resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/tradeloop-orders"]
    }
    BarsList = {
      actions    = ["s3:ListBucket"]
      resources  = ["arn:aws:s3:::tradeloop-data"]
      conditions = [{ test = "StringLike", variable = "s3:prefix", values = ["bars/*"] }]
    }
  }
  event_source_mappings = {
    intents = { event_source_arn = "arn:aws:sqs:us-east-1:123456789012:tradeloop-order-intents.fifo", maximum_concurrency = 2 }
  }
  allowed_triggers = {
    Api = { principal = "apigateway.amazonaws.com", source_arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/*/*" }
  }
  create_async_event_config = true
  destination_on_failure    = "arn:aws:sns:us-east-1:123456789012:tradeloop-alerts"
}

run "function_has_log_group_with_retention" {
  command = plan

  assert {
    condition     = aws_cloudwatch_log_group.this[0].name == "/aws/lambda/tradeloop-order"
    error_message = "The log group must be the function's own, /aws/lambda/<name>."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this[0].retention_in_days > 0
    error_message = "The log group must have a retention."
  }
}

run "function_is_traced_capped_and_configured" {
  command = plan

  assert {
    condition     = aws_lambda_function.this[0].tracing_config[0].mode == "Active"
    error_message = "X-Ray tracing must be active."
  }

  assert {
    condition     = aws_lambda_function.this[0].reserved_concurrent_executions == -1
    error_message = "Unreserved by default: any reservation fails on a new account (quota 10, 10 kept unreserved)."
  }

  assert {
    condition     = aws_lambda_function.this[0].handler == "order_service.main.lambda_handler" && aws_lambda_function.this[0].runtime == "python3.11"
    error_message = "Handler and runtime as given."
  }

  assert {
    condition     = one(aws_lambda_function_event_invoke_config.this[0].destination_config[0].on_failure[*].destination) == "arn:aws:sns:us-east-1:123456789012:tradeloop-alerts"
    error_message = "Failed asynchronous invocations go to the on-failure destination."
  }

  assert {
    condition     = one(aws_lambda_event_source_mapping.this["intents"].scaling_config[*].maximum_concurrency) == 2
    error_message = "The queue drives at most maximum_concurrency instances."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.this["intents"].function_response_types == toset(["ReportBatchItemFailures"])
    error_message = "The SQS consumer reports partial batch failures."
  }

  assert {
    condition     = aws_lambda_permission.this["Api"].source_arn == "arn:aws:execute-api:us-east-1:123456789012:abc123/*/*"
    error_message = "Invoke permission is scoped to the API."
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(["Errors", "Throttles"])
    error_message = "Errors and throttles alarms."
  }
}

run "no_iam_statement_has_wildcard_actions" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.this[0].policy).Statement : [for a in s.Action : !strcontains(a, "*")]
    ]))
    error_message = "No IAM action may contain \"*\"."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this[0].policy).Statement :
      s.Resource == ["*"] ? s.Sid == "XRay" : true
    ])
    error_message = "Only the X-Ray statement may use a \"*\" resource."
  }

  assert {
    condition     = contains([for s in jsondecode(aws_iam_role_policy.this[0].policy).Statement : s.Sid], "OnFailureDestination")
    error_message = "The role may publish to its on-failure destination."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this[0].policy).Statement : s.Condition if s.Sid == "BarsList"][0].StringLike["s3:prefix"] == ["bars/*"]
    error_message = "Conditions are rendered into the policy."
  }
}

run "wildcard_actions_are_rejected" {
  command = plan

  variables {
    policy_statements = {
      Everything = { actions = ["dynamodb:*"], resources = ["arn:aws:dynamodb:us-east-1:123456789012:table/x"] }
    }
  }

  expect_failures = [aws_iam_role_policy.this]
}

run "without_the_function_the_role_remains" {
  command = plan

  variables {
    create_function = false
    package_path    = "no/such/package.zip"
  }

  assert {
    condition     = length(aws_lambda_function.this) == 0 && length(aws_lambda_event_source_mapping.this) == 0 && length(aws_lambda_permission.this) == 0
    error_message = "No function, trigger or mapping without create_function."
  }

  assert {
    condition     = length(aws_iam_role.this) == 1 && length(aws_iam_role_policy.this) == 1
    error_message = "The role and its policy exist: the embedded mode runs the handler with them."
  }
}

run "a_missing_package_is_named" {
  command = plan

  variables {
    package_path = "no/such/package.zip"
  }

  expect_failures = [aws_lambda_function.this]
}
