################################################################################
# Endpoints
################################################################################

output "api_url" {
  description = "Base URL of the HTTP API (IAM auth: sign requests with SigV4, service execute-api)."
  value       = module.stack.api_url
}

output "dashboard_url" {
  description = "URL of the dashboard (from allowed_cidrs only)."
  value       = module.stack.dashboard_url
}

output "dashboard_repository_url" {
  description = "ECR repository to push the dashboard image to."
  value       = module.stack.dashboard_repository_url
}

output "dashboard_cluster_name" {
  description = "ECS cluster running the dashboard (for `aws ecs update-service --force-new-deployment`)."
  value       = module.stack.dashboard_cluster_name
}

output "dashboard_service_name" {
  description = "ECS service running the dashboard."
  value       = module.stack.dashboard_service_name
}

################################################################################
# Resource names
################################################################################

output "stack" {
  description = "Resource names keyed by the environment variable names of docs/architecture.md."
  value       = module.stack.stack
}

output "function_names" {
  description = "Lambda function names keyed by service."
  value       = module.stack.function_names
}

output "alerts_topic_arn" {
  description = "SNS topic receiving alarms and failed asynchronous invocations."
  value       = module.stack.alerts_topic_arn
}

output "paper_account" {
  description = "The paper account this deployment opened (id and initial cash)."
  value       = module.stack.paper_account
}

################################################################################
# Daily pipeline
################################################################################

output "marketdata_secret_arn" {
  description = "Put the market-data provider's keys here (Alpaca: {\"key_id\", \"secret_key\"}); only the market-data function may read it."
  value       = module.stack.marketdata_secret_arn
}

output "pipeline_schedule" {
  description = "When the daily pipeline starts: expression, time zone (the exchange's) and schedule ARN."
  value       = module.stack.pipeline_schedule
}
