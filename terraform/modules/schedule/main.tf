################################################################################
# Schedule
#
# EventBridge Scheduler, not an EventBridge rule: a rule's cron is UTC only, so "16:30 New York"
# would move by an hour twice a year; a schedule takes the exchange's time zone
# (schedule_expression_timezone) and follows daylight saving time.
################################################################################

resource "aws_scheduler_schedule" "this" {
  #checkov:skip=CKV_AWS_297:The input holds no data (the scheduled time); an AWS-owned key encrypts it, a customer key would only add cost.
  count = var.create ? 1 : 0

  name                         = var.name
  description                  = var.description
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.timezone
  state                        = var.enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.target_arn
    role_arn = aws_iam_role.this[0].arn
    input    = var.input

    retry_policy {
      maximum_event_age_in_seconds = var.maximum_event_age_in_seconds
      maximum_retry_attempts       = var.maximum_retry_attempts
    }
  }
}

################################################################################
# Role: the scheduler invokes the target with it (no resource policy on the function)
################################################################################

resource "aws_iam_role" "this" {
  count = var.create ? 1 : 0

  name = "${var.name}-scheduler"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "scheduler.amazonaws.com" }
      # Only schedules of this account may use the role (the confused-deputy guard AWS documents).
      Condition = { StringEquals = { "aws:SourceAccount" = var.account_id } }
    }]
  })

  tags = var.tags
}

locals {
  # Built with jsonencode, not a data source, so `terraform test` with a mocked provider sees it.
  role_statements = [{
    Sid      = "InvokeTarget"
    Effect   = "Allow"
    Action   = ["lambda:InvokeFunction"]
    Resource = [var.target_arn]
  }]
}

resource "aws_iam_role_policy" "this" {
  count = var.create ? 1 : 0

  name = "${var.name}-invoke"
  role = aws_iam_role.this[0].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.role_statements
  })
}
