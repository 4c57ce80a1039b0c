################################################################################
# The daily pipeline (services/common/tradeloop_common/pipeline.json, read by the services too)
#
# The schedule (main.tf) starts the first step; each later step is started by a rule matching the
# previous step's done event (source + detail-type on the default bus, detail.session), which a
# function puts only when its step succeeded. So a step never runs for a session whose previous
# step failed, and inserting a step is one entry in pipeline.json plus its handler and grant.
################################################################################

locals {
  pipeline          = jsondecode(file("${path.module}/../../../services/common/tradeloop_common/pipeline.json"))
  schedule_facts    = jsondecode(file("${path.module}/../../../services/common/tradeloop_common/schedule.json"))
  exchange_calendar = jsondecode(file("${path.module}/../../../services/common/tradeloop_common/calendars/${local.schedule_facts.exchange}.json"))

  # minutes_after_close after the calendar's regular close, in the exchange's time zone.
  close_minutes     = tonumber(split(":", local.exchange_calendar.close)[0]) * 60 + tonumber(split(":", local.exchange_calendar.close)[1]) + local.schedule_facts.minutes_after_close
  pipeline_schedule = "cron(${local.close_minutes % 60} ${floor(local.close_minutes / 60)} ? * ${local.schedule_facts.weekdays} *)"

  # service -> the step it runs and the done event that starts it (every step but the first).
  pipeline_triggers = {
    for i, step in local.pipeline.steps : step.service => { name = step.name, after = local.pipeline.steps[i - 1].done }
    if i > 0
  }
}

resource "aws_cloudwatch_event_rule" "pipeline" {
  for_each = var.create_functions ? local.pipeline_triggers : {}

  name        = "${var.name}-pipeline-${each.value.name}"
  description = "Start the daily pipeline's ${each.value.name} step when '${each.value.after}' says the previous one succeeded."
  event_pattern = jsonencode({
    source        = [local.pipeline.source]
    "detail-type" = [each.value.after]
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "pipeline" {
  for_each = var.create_functions ? local.pipeline_triggers : {}

  rule      = aws_cloudwatch_event_rule.pipeline[each.key].name
  target_id = each.value.name
  arn       = module.lambda[each.key].function_arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 2
  }
}

################################################################################
# The market-data provider's keys: one secret, which only the market-data role may read
################################################################################

resource "aws_secretsmanager_secret" "marketdata" {
  #checkov:skip=CKV_AWS_149:The default aws/secretsmanager key encrypts it; a customer key adds cost for keys the provider can revoke.
  #checkov:skip=CKV2_AWS_57:Provider keys are rotated at the provider (Alpaca's dashboard), not by a Lambda rotation.
  name        = "${var.name}-marketdata-provider"
  description = "Market-data provider keys, JSON {\"key_id\", \"secret_key\"} (Alpaca); put the value yourself (README)."
  # An emulator's stack is wiped at will; in AWS a deleted secret can be restored for a week.
  recovery_window_in_days = var.force_destroy ? 0 : 7

  tags = var.tags
}
