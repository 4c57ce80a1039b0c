################################################################################
# Endpoints
################################################################################

output "api_url" {
  description = "Base URL of the HTTP API (IAM auth: sign requests with SigV4, service execute-api)."
  value       = module.http_api.api_endpoint
}

output "dashboard_url" {
  description = "URL of the dashboard (from allowed_cidrs only)."
  value       = module.dashboard.dashboard_url
}

output "dashboard_repository_url" {
  description = "ECR repository to push the dashboard image to."
  value       = module.dashboard.repository_url
}

output "dashboard_cluster_name" {
  description = "ECS cluster running the dashboard (for `aws ecs update-service --force-new-deployment`)."
  value       = module.dashboard.cluster_name
}

output "dashboard_service_name" {
  description = "ECS service running the dashboard."
  value       = module.dashboard.service_name
}

################################################################################
# Resource names
################################################################################

output "stack" {
  description = "Resource names keyed by the environment variable names of docs/architecture.md."
  value       = local.stack
}

output "function_names" {
  description = "Lambda function names keyed by service."
  value       = { for k, m in module.lambda : k => m.function_name }
}

output "alerts_topic_arn" {
  description = "SNS topic receiving alarms and failed asynchronous invocations."
  value       = module.observability.topic_arn
}
