################################################################################
# What the local runtime reads (.tradeloop/stack.json)
################################################################################

output "stack" {
  description = "Resource names keyed by the environment variable names of docs/architecture.md, plus AWS_ENDPOINT_URL."
  value       = merge(module.stack.stack, { AWS_ENDPOINT_URL = var.aws_endpoint_url })
}

output "function_environment" {
  description = "Each service's Lambda environment as the stack defines it; the local runtime runs the handlers with it."
  value       = module.stack.function_environment
}

output "function_role_arns" {
  description = "Each service's execution role: the local runtime runs its handlers with this role's credentials."
  value       = module.stack.function_role_arns
}

################################################################################
# Stored in the emulator (enable_compute only)
################################################################################

output "api_id" {
  description = "HTTP API id stored in the emulator (enable_compute only)."
  value       = module.stack.api_id
}

output "function_names" {
  description = "Lambda function names stored in the emulator (enable_compute only)."
  value       = module.stack.function_names
}
