mock_provider "aws" {}

variables {
  targets = {
    signal = { arn = "arn:aws:lambda:us-east-1:123456789012:function:tradeloop-signal" }
  }
}

run "market_close_schedule_targets_signal" {
  command = plan

  assert {
    condition     = aws_cloudwatch_event_rule.this[0].schedule_expression == "cron(15 21 ? * MON-FRI *)"
    error_message = "Default schedule: after the New York close, weekdays."
  }

  assert {
    condition     = aws_cloudwatch_event_target.this["signal"].arn == "arn:aws:lambda:us-east-1:123456789012:function:tradeloop-signal"
    error_message = "The rule targets the signal function."
  }
}

run "schedule_is_configurable" {
  command = plan

  variables {
    schedule_expression = "rate(1 hour)"
    enabled             = false
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this[0].schedule_expression == "rate(1 hour)" && aws_cloudwatch_event_rule.this[0].state == "DISABLED"
    error_message = "Schedule and state follow the variables."
  }
}
