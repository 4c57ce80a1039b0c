# The whole AWS composition, planned against a mocked provider: the security invariants hold
# for every function, route, bucket, queue and IAM statement the root creates.
mock_provider "aws" {
  # Mocked ARNs are known at plan, so policies and outputs built from them are too.
  override_during = plan

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
}

variables {
  # Placeholder zips: Terraform hashes the packages at plan time.
  package_dir   = "../../tests/fixtures/lambda"
  allowed_cidrs = ["203.0.113.0/24"]
}

run "every_route_uses_aws_iam" {
  command = plan

  assert {
    condition     = length(module.http_api.route_authorization_types) == length(jsondecode(file("../../../services/routes.json")).routes)
    error_message = "Every entry of services/routes.json is a route."
  }

  assert {
    condition     = alltrue([for k, v in module.http_api.route_authorization_types : v == "AWS_IAM"])
    error_message = "Every route must have AWS_IAM authorization."
  }
}

run "every_function_has_a_log_group_with_retention" {
  command = plan

  assert {
    condition     = toset(keys(module.lambda)) == toset(["order", "portfolio", "signal"])
    error_message = "Three services."
  }

  assert {
    condition     = alltrue([for k, m in module.lambda : m.log_group_name == "/aws/lambda/${m.function_name}" && m.log_retention_days > 0])
    error_message = "Every function has its /aws/lambda/<name> log group with a retention."
  }

  assert {
    condition     = module.lambda["order"].function_name == "tradeloop-order" && module.lambda["signal"].function_name == "tradeloop-signal"
    error_message = "Function names are <name>-<service>."
  }
}

run "every_bucket_is_encrypted_versioned_and_not_public" {
  command = plan

  assert {
    condition     = toset(keys(module.storage.bucket_security)) == toset(["data", "models"])
    error_message = "The data and models buckets."
  }

  assert {
    condition = alltrue([
      for k, b in module.storage.bucket_security : b.versioning == "Enabled" && b.sse_algorithm == "aws:kms" && b.public_access_blocked
    ])
    error_message = "Every bucket is versioned, SSE-KMS encrypted and blocks all public access."
  }
}

run "every_queue_has_a_dlq" {
  command = plan

  assert {
    condition     = module.queue.redrive_dead_letter_target_arn == module.queue.dlq_arn && module.queue.redrive_max_receive_count == 5
    error_message = "The order-intent queue redrives to its DLQ after 5 receives."
  }
}

run "no_iam_statement_has_wildcard_actions" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for s in concat(flatten([for k, m in module.lambda : m.policy_statements]), module.dashboard.iam_statements) :
      [for a in s.Action : !strcontains(a, "*")]
    ]))
    error_message = "No IAM statement may have a \"*\" action."
  }
}

run "least_privilege_per_service" {
  command = plan

  assert {
    condition     = !contains([for s in module.lambda["portfolio"].policy_statements : s.Sid], "QueueConsume") && !contains([for s in module.lambda["portfolio"].policy_statements : s.Sid], "QueueSend")
    error_message = "portfolio touches no queue."
  }

  assert {
    condition     = contains(flatten([for s in module.lambda["order"].policy_statements : s.Action if s.Sid == "QueueConsume"]), "sqs:ReceiveMessage")
    error_message = "order consumes the queue."
  }

  assert {
    condition     = flatten([for s in module.lambda["signal"].policy_statements : s.Action if s.Sid == "QueueSend"]) == ["sqs:SendMessage"]
    error_message = "signal only sends to the queue."
  }

  assert {
    condition     = alltrue([for s in module.lambda["portfolio"].policy_statements : !contains(s.Action, "dynamodb:PutItem") if s.Sid == "TablesRead"])
    error_message = "portfolio reads accounts and orders, writes only snapshots."
  }
}

run "environment_uses_the_documented_names" {
  command = plan

  assert {
    condition = alltrue([for k, m in module.lambda : length(setsubtract([
      "TRADELOOP_ORDERS_TABLE", "TRADELOOP_ACCOUNTS_TABLE", "TRADELOOP_CONTROLS_TABLE", "TRADELOOP_SIGNALS_TABLE",
      "TRADELOOP_SNAPSHOTS_TABLE", "TRADELOOP_IDEMPOTENCY_TABLE", "TRADELOOP_DATA_BUCKET", "TRADELOOP_MODELS_BUCKET",
      "TRADELOOP_ORDER_QUEUE_URL", "TRADELOOP_ACCOUNT_ID", "TRADELOOP_MODEL_NAME", "TRADELOOP_COMMISSION_BPS",
      "TRADELOOP_SLIPPAGE_BPS",
    ], keys(m.environment_variables))) == 0])
    error_message = "Every function gets the environment variables of docs/architecture.md."
  }

  assert {
    condition     = output.stack.TRADELOOP_ORDERS_TABLE == "tradeloop-orders"
    error_message = "The stack output is keyed by environment variable names."
  }
}
