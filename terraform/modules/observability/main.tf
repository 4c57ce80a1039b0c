################################################################################
# Alerts topic
################################################################################

resource "aws_sns_topic" "this" {
  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed aws/sns key, and alerts carry no data; pass kms_key_arn for a customer key.
  count = var.create ? 1 : 0

  name              = var.name
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = var.create ? toset(var.alert_emails) : toset([])

  topic_arn = aws_sns_topic.this[0].arn
  protocol  = "email"
  endpoint  = each.value
}

################################################################################
# Alarms: dead letters, kill switch, API errors
################################################################################

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  for_each = var.create ? toset(var.dlq_names) : toset([])

  alarm_name          = "${each.value}-depth"
  alarm_description   = "Messages waiting in the dead-letter queue ${each.value}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this[0].arn]
  ok_actions          = [aws_sns_topic.this[0].arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "kill_switch" {
  count = var.create ? 1 : 0

  alarm_name          = "${var.name}-trading-halted"
  alarm_description   = "The kill switch is HALTED (custom metric ${var.kill_switch_metric.namespace}/${var.kill_switch_metric.name} = 1)."
  namespace           = var.kill_switch_metric.namespace
  metric_name         = var.kill_switch_metric.name
  dimensions          = var.kill_switch_metric.dimensions
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this[0].arn]
  ok_actions          = [aws_sns_topic.this[0].arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "market_data_late" {
  count = var.create ? 1 : 0

  alarm_name          = "${var.name}-market-data-late"
  alarm_description   = "After the daily ingest some symbols still lack the session's bar (custom metric ${var.freshness_metric.namespace}/${var.freshness_metric.name} >= 1): the signal step HOLDs them."
  namespace           = var.freshness_metric.namespace
  metric_name         = var.freshness_metric.name
  dimensions          = var.freshness_metric.dimensions
  statistic           = "Maximum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this[0].arn]
  ok_actions          = [aws_sns_topic.this[0].arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  count = var.create && var.create_api_alarm ? 1 : 0

  alarm_name          = "${var.name}-api-5xx"
  alarm_description   = "Server errors of the HTTP API."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5xx"
  dimensions          = { ApiId = var.api_id }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this[0].arn]

  tags = var.tags
}
