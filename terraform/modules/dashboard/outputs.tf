################################################################################
# Image repository
################################################################################

output "repository_url" {
  description = "ECR repository URL to push the dashboard image to."
  value       = try(aws_ecr_repository.this[0].repository_url, null)
}

################################################################################
# Cluster and service
################################################################################

output "cluster_name" {
  description = "ECS cluster name."
  value       = try(aws_ecs_cluster.this[0].name, null)
}

output "service_name" {
  description = "ECS service name."
  value       = try(aws_ecs_service.this[0].name, null)
}

output "task_role_arn" {
  description = "ARN of the task role (execute-api:Invoke on the API only)."
  value       = try(aws_iam_role.task[0].arn, null)
}

output "iam_statements" {
  description = "Statements of the execution and task role policies, for review and tests."
  value       = concat(local.execution_statements, local.task_statements)
}

################################################################################
# Load balancer and network
################################################################################

output "dashboard_url" {
  description = "URL of the dashboard (the ALB's DNS name)."
  value       = try("${var.certificate_arn == null ? "http" : "https"}://${aws_lb.this[0].dns_name}", null)
}

output "subnet_ids" {
  description = "IDs of the dashboard subnets."
  value       = aws_subnet.this[*].id
}

output "network_acl_id" {
  description = "ID of the dashboard subnets' network ACL."
  value       = try(aws_network_acl.this[0].id, null)
}

output "health_check_path" {
  description = "Path the target group's health check requests."
  value       = try(aws_lb_target_group.this[0].health_check[0].path, null)
}
