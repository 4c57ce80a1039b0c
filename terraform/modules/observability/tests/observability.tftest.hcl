mock_provider "aws" {}

variables {
  dlq_names        = ["tradeloop-order-intents-dlq.fifo"]
  create_api_alarm = true
  api_id           = "abc123"
  custom_metric_alarms = {
    trading-halted = {
      description         = "The kill switch is HALTED"
      namespace           = "tradeloop"
      metric_name         = "TradingHalted"
      dimensions          = { service = "order" }
      threshold           = 1
      comparison_operator = "GreaterThanOrEqualToThreshold"
    }
  }
}

run "alarms_cover_dlq_kill_switch_and_api" {
  command = plan

  assert {
    condition     = aws_cloudwatch_metric_alarm.dlq_depth["tradeloop-order-intents-dlq.fifo"].threshold == 0 && aws_cloudwatch_metric_alarm.dlq_depth["tradeloop-order-intents-dlq.fifo"].comparison_operator == "GreaterThanThreshold"
    error_message = "DLQ depth > 0 alarms."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.custom["trading-halted"].metric_name == "TradingHalted" && aws_cloudwatch_metric_alarm.custom["trading-halted"].threshold == 1
    error_message = "The kill switch alarm fires on TradingHalted >= 1."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.api_5xx[0].dimensions["ApiId"] == "abc123"
    error_message = "The API 5xx alarm watches the given API."
  }
}
