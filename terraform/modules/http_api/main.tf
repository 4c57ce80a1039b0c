################################################################################
# API
################################################################################

locals {
  # routes.json: {"routes": [{"method", "path", "service"}]}; keyed by route key "GET /path".
  routes = { for r in var.routes : "${r.method} ${r.path}" => r }
}

resource "aws_apigatewayv2_api" "this" {
  count = var.create ? 1 : 0

  name          = var.name
  description   = var.description
  protocol_type = "HTTP"

  tags = var.tags
}

################################################################################
# Integrations (one per service) and routes (one per routes.json entry)
################################################################################

resource "aws_apigatewayv2_integration" "this" {
  for_each = var.create ? var.integrations : {}

  api_id                 = aws_apigatewayv2_api.this[0].id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = each.value.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = each.value.timeout_milliseconds
}

resource "aws_apigatewayv2_route" "this" {
  for_each = var.create ? local.routes : {}

  api_id             = aws_apigatewayv2_api.this[0].id
  route_key          = each.key
  authorization_type = "AWS_IAM"
  target             = "integrations/${aws_apigatewayv2_integration.this[each.value.service].id}"
}

################################################################################
# Stage: access logs and throttling
################################################################################

resource "aws_apigatewayv2_stage" "this" {
  count = var.create ? 1 : 0

  api_id      = aws_apigatewayv2_api.this[0].id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access[0].arn
    format = jsonencode({
      requestId      = "$context.requestId"
      ip             = "$context.identity.sourceIp"
      caller         = "$context.identity.caller"
      user           = "$context.identity.user"
      requestTime    = "$context.requestTime"
      routeKey       = "$context.routeKey"
      status         = "$context.status"
      responseLength = "$context.responseLength"
      latency        = "$context.integrationLatency"
      error          = "$context.error.message"
    })
  }

  default_route_settings {
    throttling_burst_limit = var.throttling_burst_limit
    throttling_rate_limit  = var.throttling_rate_limit
  }

  tags = var.tags
}
