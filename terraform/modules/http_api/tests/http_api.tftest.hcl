mock_provider "aws" {}

variables {
  # The same routes file the local router reads.
  routes = jsondecode(file("../../../services/routes.json")).routes
  integrations = {
    order      = { invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/order/invocations" }
    portfolio  = { invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/portfolio/invocations" }
    signal     = { invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/signal/invocations" }
    marketdata = { invoke_arn = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/marketdata/invocations" }
  }
}

run "every_route_uses_aws_iam" {
  command = plan

  assert {
    condition     = length(aws_apigatewayv2_route.this) == length(jsondecode(file("../../../services/routes.json")).routes)
    error_message = "Every entry of routes.json becomes a route."
  }

  assert {
    condition     = alltrue([for k, r in aws_apigatewayv2_route.this : r.authorization_type == "AWS_IAM"])
    error_message = "Every route must have AWS_IAM authorization."
  }

  assert {
    condition     = contains(keys(aws_apigatewayv2_route.this), "GET /positions/{symbol}")
    error_message = "Route keys are \"METHOD /path\"."
  }
}

run "stage_logs_and_throttles" {
  command = plan

  assert {
    condition     = aws_apigatewayv2_stage.this[0].default_route_settings[0].throttling_rate_limit == 20 && aws_apigatewayv2_stage.this[0].default_route_settings[0].throttling_burst_limit == 50
    error_message = "The stage throttles."
  }

  assert {
    condition     = aws_cloudwatch_log_group.access[0].retention_in_days > 0
    error_message = "The access log group has a retention."
  }

  assert {
    condition     = alltrue([for k, i in aws_apigatewayv2_integration.this : i.payload_format_version == "2.0" && i.integration_type == "AWS_PROXY"])
    error_message = "Integrations are Lambda proxy, payload 2.0 (the event the handlers parse)."
  }
}
