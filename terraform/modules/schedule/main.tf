################################################################################
# Rule
################################################################################

resource "aws_cloudwatch_event_rule" "this" {
  count = var.create ? 1 : 0

  name                = var.name
  description         = var.description
  schedule_expression = var.schedule_expression
  state               = var.enabled ? "ENABLED" : "DISABLED"

  tags = var.tags
}

################################################################################
# Targets
################################################################################

resource "aws_cloudwatch_event_target" "this" {
  for_each = var.create ? var.targets : {}

  rule      = aws_cloudwatch_event_rule.this[0].name
  target_id = each.key
  arn       = each.value.arn

  retry_policy {
    maximum_event_age_in_seconds = each.value.maximum_event_age_in_seconds
    maximum_retry_attempts       = each.value.maximum_retry_attempts
  }
}
