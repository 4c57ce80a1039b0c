################################################################################
# Resource names
################################################################################

output "stack" {
  description = "Resource names keyed by the environment variable names of docs/architecture.md (what .tradeloop/stack.json holds in the embedded mode)."
  value       = local.stack
}

output "function_environment" {
  description = "Each service's Lambda environment (what the functions get in AWS; the embedded mode runs the handlers with it)."
  value       = local.function_environment
}

output "function_names" {
  description = "Lambda function names keyed by service (empty without create_functions)."
  value       = var.create_functions ? { for k, m in module.lambda : k => m.function_name } : {}
}

################################################################################
# IAM
################################################################################

output "function_role_arns" {
  description = "Execution role ARN of each service: the embedded mode runs the service's handlers with this role's credentials."
  value       = { for k, m in module.lambda : k => m.role_arn }
}

output "policy_statements" {
  description = "The statements of each service's inline policy (Sid, Effect, Action, Resource), for review and tests."
  value       = { for k, m in module.lambda : k => m.policy_statements }
}

################################################################################
# Daily pipeline
################################################################################

output "pipeline_schedule" {
  description = "The daily pipeline's schedule: expression, time zone and target (the first step's function)."
  value = {
    expression = local.pipeline_schedule
    timezone   = local.exchange_calendar.tz
    arn        = module.schedule.schedule_arn
  }
}

output "pipeline_rules" {
  description = "Each later step of the daily pipeline: the rule that starts it (the previous step's done event)."
  value       = { for k, r in aws_cloudwatch_event_rule.pipeline : k => { name = r.name, event_pattern = r.event_pattern } }
}

output "marketdata_secret_arn" {
  description = "The market-data provider's keys (put {\"key_id\", \"secret_key\"} in it for Alpaca); the only secret the market-data role may read."
  value       = aws_secretsmanager_secret.marketdata.arn
}

################################################################################
# HTTP API
################################################################################

output "api_url" {
  description = "Base URL of the HTTP API (IAM auth: sign requests with SigV4, service execute-api)."
  value       = module.http_api.api_endpoint
}

output "api_id" {
  description = "HTTP API id."
  value       = module.http_api.api_id
}

output "route_authorization_types" {
  description = "Authorization type of each route, keyed by route key."
  value       = module.http_api.route_authorization_types
}

################################################################################
# Dashboard
################################################################################

output "dashboard_url" {
  description = "URL of the dashboard (from the allowed CIDRs only)."
  value       = module.dashboard.dashboard_url
}

output "dashboard_repository_url" {
  description = "ECR repository to push the dashboard image to."
  value       = module.dashboard.repository_url
}

output "dashboard_cluster_name" {
  description = "ECS cluster running the dashboard."
  value       = module.dashboard.cluster_name
}

output "dashboard_service_name" {
  description = "ECS service running the dashboard."
  value       = module.dashboard.service_name
}

output "dashboard_health_check_path" {
  description = "Path the load balancer's health check requests (the dashboard's unauthenticated health route)."
  value       = module.dashboard.health_check_path
}

output "dashboard_iam_statements" {
  description = "The dashboard task role's statements, for review and tests."
  value       = module.dashboard.iam_statements
}

################################################################################
# Observability
################################################################################

output "alerts_topic_arn" {
  description = "SNS topic receiving alarms and failed asynchronous invocations."
  value       = module.observability.topic_arn
}

output "custom_metric_alarms" {
  description = "Alarms on metrics the code emits (not AWS's own): name -> namespace, metric, dimensions. A test checks each is emitted."
  value       = module.observability.custom_metric_alarms
}

output "paper_account" {
  description = "The paper account opened by this stack (account id and initial cash), or null."
  value       = var.initial_cash == null ? null : { account_id = var.account_id_setting, initial_cash = var.initial_cash }
}
