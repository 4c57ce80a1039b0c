################################################################################
# Rule
################################################################################

output "rule_name" {
  description = "Name of the EventBridge rule."
  value       = try(aws_cloudwatch_event_rule.this[0].name, null)
}

output "rule_arn" {
  description = "ARN of the EventBridge rule (source ARN for Lambda permissions)."
  value       = try(aws_cloudwatch_event_rule.this[0].arn, null)
}

output "schedule_expression" {
  description = "The rule's schedule expression."
  value       = try(aws_cloudwatch_event_rule.this[0].schedule_expression, null)
}

################################################################################
# Targets
################################################################################

output "target_ids" {
  description = "IDs of the rule's targets."
  value       = keys(aws_cloudwatch_event_target.this)
}
