################################################################################
# Container log group
################################################################################

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Logs are encrypted by CloudWatch's own key; a customer KMS key costs per month and per request.
  #checkov:skip=CKV_AWS_338:A prototype keeps logs for weeks, not a year (cost); retention is a variable.
  count = var.create ? 1 : 0

  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}
