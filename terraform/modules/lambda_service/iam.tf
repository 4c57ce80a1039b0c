################################################################################
# Role
################################################################################

resource "aws_iam_role" "this" {
  count = var.create ? 1 : 0

  name = "${var.function_name}-lambda"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })

  tags = var.tags
}

################################################################################
# Policy: logs, tracing, the on-failure destination, and the service's own statements
################################################################################

locals {
  # The on-failure destination is SNS or SQS; its service is the third field of the ARN.
  destination_action = !var.create_async_event_config ? null : (
    split(":", var.destination_on_failure)[2] == "sns" ? "sns:Publish" : "sqs:SendMessage"
  )

  # Built with jsonencode rather than a data source so that `terraform test` with a mocked
  # provider sees the real document (mocked data sources return random strings).
  base_statements = concat(
    [{
      Sid      = "Logs"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = ["${try(aws_cloudwatch_log_group.this[0].arn, "")}:*"]
    }],
    var.tracing_mode == "Active" ? [{
      Sid      = "XRay"
      Effect   = "Allow"
      Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      Resource = ["*"]
    }] : [],
    !var.create_async_event_config ? [] : [{
      Sid      = "OnFailureDestination"
      Effect   = "Allow"
      Action   = [local.destination_action]
      Resource = [var.destination_on_failure]
    }],
  )

  service_statements = [
    for sid, s in var.policy_statements : merge(
      {
        Sid      = sid
        Effect   = s.effect
        Action   = s.actions
        Resource = s.resources
      },
      length(s.conditions) == 0 ? {} : {
        Condition = {
          for test in distinct([for c in s.conditions : c.test]) : test => {
            for c in s.conditions : c.variable => c.values if c.test == test
          }
        }
      },
    )
  ]

  policy_statements = concat(local.base_statements, local.service_statements)
}

resource "aws_iam_role_policy" "this" {
  #checkov:skip=CKV_AWS_290:The only unconstrained statement is X-Ray's, whose write APIs support no resource-level permissions.
  #checkov:skip=CKV_AWS_355:The only "*" resource is X-Ray's PutTraceSegments/PutTelemetryRecords, which support no resource-level permissions.
  count = var.create ? 1 : 0

  name = "${var.function_name}-least-privilege"
  role = aws_iam_role.this[0].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.policy_statements
  })

  lifecycle {
    precondition {
      condition = alltrue(flatten([
        for s in local.policy_statements : [for a in s.Action : !strcontains(a, "*")]
      ]))
      error_message = "No IAM action may contain a wildcard (\"*\"): list the exact actions."
    }
  }
}
