################################################################################
# General
################################################################################

variable "create" {
  description = "Whether to create the dashboard."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name of the ECR repository, cluster, service, ALB (first 32 characters) and roles."
  type        = string
  default     = "tradeloop-dashboard"
}

################################################################################
# Image repository
################################################################################

variable "image_tag" {
  description = "Image tag to run (tags are immutable: push a new tag per release)."
  type        = string
  default     = "latest"
}

variable "images_to_keep" {
  description = "Images kept in the repository; older ones expire."
  type        = number
  default     = 10
}

variable "force_delete_images" {
  description = "Let `destroy` delete the repository while it still holds images."
  type        = bool
  default     = true
}

################################################################################
# Cluster, task and service
################################################################################

variable "container_insights" {
  description = "Enable ECS Container Insights (billed per metric)."
  type        = bool
  default     = false
}

variable "cpu" {
  description = "Fargate task CPU units (256 = the smallest size)."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Fargate task memory in MiB (512 = the smallest size)."
  type        = number
  default     = 512
}

variable "container_port" {
  description = "Port the dashboard listens on in the container."
  type        = number
  default     = 8050
}

variable "container_environment" {
  description = "Environment variables of the dashboard container."
  type        = map(string)
  default     = {}
}

variable "desired_count" {
  description = "Number of tasks (0 stops the dashboard and its Fargate cost)."
  type        = number
  default     = 1
}

variable "health_check_path" {
  description = "Path the ALB health check requests: the dashboard's unauthenticated health route (dashboard/contract.json; every other path answers 401)."
  type        = string
  default     = null

  validation {
    condition     = var.health_check_path != null && startswith(coalesce(var.health_check_path, "-"), "/")
    error_message = "health_check_path is required: the dashboard's unauthenticated route (dashboard/contract.json health_path)."
  }
}

variable "log_retention_days" {
  description = "Retention of the container log group, in days."
  type        = number
  default     = 30
}

variable "api_execution_arn" {
  description = "Execution ARN of the HTTP API; the task role may invoke it and nothing else."
  type        = string
  default     = ""
}

variable "password_secret_arn" {
  description = "Secrets Manager ARN of the dashboard login password; the task role may read this secret only. Null: no secret access (the dashboard then needs TRADELOOP_DASHBOARD_PASSWORD, or refuses to start in AWS)."
  type        = string
  default     = null
}

################################################################################
# Network
################################################################################

variable "subnet_cidrs" {
  description = "CIDRs of the dashboard's own subnets inside the default VPC (172.31.0.0/16; the default subnets use the first /20s). At least two, for the ALB."
  type        = list(string)
  default     = ["172.31.200.0/24", "172.31.201.0/24"]

  validation {
    condition     = length(var.subnet_cidrs) >= 2
    error_message = "An ALB needs subnets in at least two availability zones."
  }
}

variable "availability_zones" {
  description = "Availability zones of the subnets, in order; empty: the region's available zones."
  type        = list(string)
  default     = []
}

variable "allowed_cidrs" {
  description = "CIDRs allowed to reach the dashboard listener (security group and network ACL). Empty: nobody."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate ARN: HTTPS on 443 when set, else plain HTTP on 80."
  type        = string
  default     = null
}
