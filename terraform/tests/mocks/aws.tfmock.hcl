# Values the mocked AWS provider returns in the stack's plans (terraform test): realistic ARNs
# and names, so policies, routes and outputs built from them can be asserted on.
mock_data "aws_caller_identity" {
  defaults = { account_id = "123456789012" }
}
mock_data "aws_region" {
  defaults = { name = "eu-west-1" }
}
mock_data "aws_vpc" {
  defaults = { id = "vpc-0123456789abcdef0", cidr_block = "172.31.0.0/16" }
}
mock_data "aws_availability_zones" {
  defaults = { names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }
}
mock_resource "aws_s3_bucket" {
  defaults = { arn = "arn:aws:s3:::tradeloop-mock" }
}
mock_resource "aws_dynamodb_table" {
  defaults = { arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/tradeloop-mock" }
}
mock_resource "aws_sqs_queue" {
  defaults = {
    arn = "arn:aws:sqs:eu-west-1:123456789012:tradeloop-mock.fifo"
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/tradeloop-mock.fifo"
  }
}
mock_resource "aws_sqs_queue_redrive_policy" {
  defaults = {
    redrive_policy = "{\"deadLetterTargetArn\":\"arn:aws:sqs:eu-west-1:123456789012:tradeloop-mock.fifo\",\"maxReceiveCount\":5}"
  }
}
mock_resource "aws_cloudwatch_log_group" {
  defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:mock" }
}
mock_resource "aws_iam_role" {
  defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
}
mock_resource "aws_sns_topic" {
  defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:tradeloop-alerts" }
}
mock_resource "aws_lambda_layer_version" {
  defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:layer:mock:1" }
}
mock_resource "aws_lambda_function" {
  defaults = {
    arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mock"
    invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mock/invocations"
  }
}
mock_resource "aws_apigatewayv2_api" {
  defaults = {
    id            = "abc123"
    api_endpoint  = "https://abc123.execute-api.eu-west-1.amazonaws.com"
    execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:abc123"
  }
}
mock_resource "aws_cloudwatch_event_rule" {
  defaults = { arn = "arn:aws:events:eu-west-1:123456789012:rule/tradeloop-market-close" }
}
mock_resource "aws_ecr_repository" {
  defaults = {
    arn            = "arn:aws:ecr:eu-west-1:123456789012:repository/tradeloop-dashboard"
    repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/tradeloop-dashboard"
  }
}
mock_resource "aws_lb" {
  defaults = {
    arn      = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/tradeloop-dashboard/0123456789abcdef"
    dns_name = "tradeloop-dashboard-1.eu-west-1.elb.amazonaws.com"
  }
}
mock_resource "aws_lb_target_group" {
  defaults = { arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tradeloop-dashboard-tg/0123456789abcdef" }
}
mock_resource "aws_ecs_cluster" {
  defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/tradeloop-dashboard" }
}
mock_resource "aws_ecs_task_definition" {
  defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/tradeloop-dashboard:1" }
}
mock_resource "aws_secretsmanager_secret" {
  defaults = { arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tradeloop-marketdata-provider-AbCdEf" }
}
mock_resource "aws_scheduler_schedule" {
  defaults = { arn = "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/tradeloop-daily-pipeline" }
}
