################################################################################
# Alerts topic
################################################################################

output "topic_arn" {
  description = "ARN of the alerts SNS topic."
  value       = try(aws_sns_topic.this[0].arn, null)
}

################################################################################
# Alarms
################################################################################

output "alarm_names" {
  description = "Names of the alarms created here (Lambda alarms live in lambda_service)."
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.dlq_depth : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.kill_switch : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.market_data_late : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.api_5xx : a.alarm_name],
  )
}

output "custom_metric_alarms" {
  description = "Alarms on metrics the code emits (custom namespaces): name -> namespace, metric_name, dimensions."
  value = {
    for a in concat(aws_cloudwatch_metric_alarm.kill_switch, aws_cloudwatch_metric_alarm.market_data_late) : a.alarm_name => {
      namespace = a.namespace, metric_name = a.metric_name, dimensions = a.dimensions
    }
  }
}
