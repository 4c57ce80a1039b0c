mock_provider "aws" {}

variables {
  target_arn = "arn:aws:lambda:us-east-1:123456789012:function:tradeloop-marketdata"
  account_id = "123456789012"
}

run "fires_after_the_close_in_new_york_time" {
  command = plan

  assert {
    condition     = aws_scheduler_schedule.this[0].schedule_expression == "cron(30 16 ? * MON-FRI *)" && aws_scheduler_schedule.this[0].schedule_expression_timezone == "America/New_York"
    error_message = "Default: 16:30 New York time on weekdays, so daylight saving time moves nothing."
  }

  assert {
    condition     = aws_scheduler_schedule.this[0].target[0].arn == "arn:aws:lambda:us-east-1:123456789012:function:tradeloop-marketdata"
    error_message = "The schedule invokes the target function."
  }

  assert {
    condition     = local.role_statements[0].Action == ["lambda:InvokeFunction"] && local.role_statements[0].Resource == ["arn:aws:lambda:us-east-1:123456789012:function:tradeloop-marketdata"]
    error_message = "The scheduler's role may invoke the target and nothing else."
  }

  assert {
    condition     = jsondecode(aws_iam_role.this[0].assume_role_policy).Statement[0].Principal.Service == "scheduler.amazonaws.com"
    error_message = "Only EventBridge Scheduler assumes the role."
  }
}

run "schedule_is_configurable" {
  command = plan

  variables {
    schedule_expression = "rate(1 hour)"
    timezone            = "Europe/London"
    enabled             = false
  }

  assert {
    condition     = aws_scheduler_schedule.this[0].schedule_expression == "rate(1 hour)" && aws_scheduler_schedule.this[0].state == "DISABLED" && aws_scheduler_schedule.this[0].schedule_expression_timezone == "Europe/London"
    error_message = "Expression, time zone and state follow the variables."
  }
}
