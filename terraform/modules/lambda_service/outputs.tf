################################################################################
# Function
################################################################################

output "function_name" {
  description = "Name of the function."
  value       = try(aws_lambda_function.this[0].function_name, null)
}

output "function_arn" {
  description = "ARN of the function."
  value       = try(aws_lambda_function.this[0].arn, null)
}

output "invoke_arn" {
  description = "Invoke ARN of the function, for API Gateway integrations."
  value       = try(aws_lambda_function.this[0].invoke_arn, null)
}

output "policy_statements" {
  description = "The statements of the execution role's inline policy (Sid, Effect, Action, Resource)."
  value       = local.policy_statements
}

output "environment_variables" {
  description = "Environment variables set on the function."
  value       = try(aws_lambda_function.this[0].environment[0].variables, {})
}

################################################################################
# Logs
################################################################################

output "log_group_name" {
  description = "Name of the function's log group."
  value       = try(aws_cloudwatch_log_group.this[0].name, null)
}

output "log_retention_days" {
  description = "Retention of the function's log group, in days."
  value       = try(aws_cloudwatch_log_group.this[0].retention_in_days, null)
}

################################################################################
# IAM
################################################################################

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = try(aws_iam_role.this[0].arn, null)
}

output "policy_json" {
  description = "The execution role's inline policy document (JSON), for review and tests."
  value       = try(aws_iam_role_policy.this[0].policy, null)
}

################################################################################
# Alarms
################################################################################

output "alarm_names" {
  description = "Names of the function's alarms."
  value       = [for a in aws_cloudwatch_metric_alarm.this : a.alarm_name]
}

################################################################################
# Concurrency
################################################################################

output "reserved_concurrent_executions" {
  description = "Reserved concurrency of the function (-1: unreserved)."
  value       = try(aws_lambda_function.this[0].reserved_concurrent_executions, null)
}

output "event_source_mapping_maximum_concurrency" {
  description = "maximum_concurrency of each queue mapping (null: uncapped)."
  value       = [for m in aws_lambda_event_source_mapping.this : try(m.scaling_config[0].maximum_concurrency, null)]
}
