################################################################################
# Schedule
################################################################################

output "schedule_arn" {
  description = "ARN of the schedule."
  value       = try(aws_scheduler_schedule.this[0].arn, null)
}

output "schedule_expression" {
  description = "The schedule's expression (in `timezone`)."
  value       = try(aws_scheduler_schedule.this[0].schedule_expression, null)
}

output "timezone" {
  description = "The time zone the expression is evaluated in."
  value       = try(aws_scheduler_schedule.this[0].schedule_expression_timezone, null)
}

################################################################################
# Role
################################################################################

output "role_arn" {
  description = "ARN of the role the scheduler invokes the target with."
  value       = try(aws_iam_role.this[0].arn, null)
}

output "role_statements" {
  description = "The role's statements (Sid, Effect, Action, Resource), for review and tests."
  value       = local.role_statements
}
