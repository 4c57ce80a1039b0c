################################################################################
# API
################################################################################

output "api_id" {
  description = "ID of the HTTP API."
  value       = try(aws_apigatewayv2_api.this[0].id, null)
}

output "api_endpoint" {
  description = "Base URL of the API (the $default stage serves at the root)."
  value       = try(aws_apigatewayv2_api.this[0].api_endpoint, null)
}

output "execution_arn" {
  description = "Execution ARN, for Lambda permissions and execute-api:Invoke policies."
  value       = try(aws_apigatewayv2_api.this[0].execution_arn, null)
}

################################################################################
# Routes
################################################################################

output "route_keys" {
  description = "Route keys (\"METHOD /path\") created from the routes file."
  value       = keys(aws_apigatewayv2_route.this)
}

output "route_authorization_types" {
  description = "Authorization type of each route, keyed by route key."
  value       = { for k, r in aws_apigatewayv2_route.this : k => r.authorization_type }
}

################################################################################
# Stage
################################################################################

output "stage_invoke_url" {
  description = "Invoke URL of the $default stage."
  value       = try(aws_apigatewayv2_stage.this[0].invoke_url, null)
}

output "access_log_group_name" {
  description = "Name of the access log group."
  value       = try(aws_cloudwatch_log_group.access[0].name, null)
}
