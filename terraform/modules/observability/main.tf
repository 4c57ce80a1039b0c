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
# Alarms: dead letters, the code's own metrics, API errors
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

# Alarms on the code's own metrics (EMF, namespace = the stack's name): the kill switch, loss limits,
# reconciliation, market data still missing after the ingest. tests/iac/test_aws_root.py checks each watches a metric the code emits.
resource "aws_cloudwatch_metric_alarm" "custom" {
  for_each = var.create ? var.custom_metric_alarms : {}

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = "${each.value.description} (${each.value.namespace}/${each.value.metric_name})"
  namespace           = each.value.namespace
  metric_name         = each.value.metric_name
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = each.value.comparison_operator
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
