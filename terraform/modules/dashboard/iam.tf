################################################################################
# Execution role: pull the image, write logs
################################################################################

locals {
  ecs_assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
    }]
  })

  execution_statements = [
    {
      Sid      = "EcrAuth"
      Effect   = "Allow"
      Action   = ["ecr:GetAuthorizationToken"]
      Resource = ["*"]
    },
    {
      Sid      = "EcrPull"
      Effect   = "Allow"
      Action   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      Resource = [try(aws_ecr_repository.this[0].arn, "")]
    },
    {
      Sid      = "Logs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${try(aws_cloudwatch_log_group.this[0].arn, "")}:*"]
    },
  ]

  # The task may call the HTTP API (SigV4) and read its login secret, nothing else.
  task_statements = concat(
    var.api_execution_arn == null ? [] : [{
      Sid      = "InvokeApi"
      Effect   = "Allow"
      Action   = ["execute-api:Invoke"]
      Resource = ["${var.api_execution_arn}/*"]
    }],
    var.password_secret_arn == null ? [] : [{
      Sid      = "ReadLoginSecret"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = [var.password_secret_arn]
    }],
  )
}

resource "aws_iam_role" "execution" {
  count = var.create ? 1 : 0

  name               = "${var.name}-execution"
  assume_role_policy = local.ecs_assume_role_policy

  tags = var.tags
}

resource "aws_iam_role_policy" "execution" {
  #checkov:skip=CKV_AWS_355:ecr:GetAuthorizationToken supports no resource-level permissions; every other statement names its resource.
  #checkov:skip=CKV_AWS_290:ecr:GetAuthorizationToken supports no resource-level permissions; every other statement names its resource.
  count = var.create ? 1 : 0

  name   = "${var.name}-execution"
  role   = aws_iam_role.execution[0].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.execution_statements })
}

################################################################################
# Task role: execute-api:Invoke on the API only
################################################################################

resource "aws_iam_role" "task" {
  count = var.create ? 1 : 0

  name               = "${var.name}-task"
  assume_role_policy = local.ecs_assume_role_policy

  tags = var.tags
}

resource "aws_iam_role_policy" "task" {
  count = var.create ? 1 : 0

  name   = "${var.name}-invoke-api"
  role   = aws_iam_role.task[0].id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.task_statements })
}
