mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::tradeloop-mock" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:us-east-1:123456789012:tradeloop-mock.fifo"
      url = "http://127.0.0.1:4566/123456789012/tradeloop-order-intents.fifo"
    }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
}

run "stack_output_uses_local_default_names" {
  command = plan

  assert {
    condition = toset(keys(output.stack)) == toset([
      "AWS_ENDPOINT_URL", "TRADELOOP_ORDERS_TABLE", "TRADELOOP_ACCOUNTS_TABLE", "TRADELOOP_CONTROLS_TABLE",
      "TRADELOOP_SIGNALS_TABLE", "TRADELOOP_SNAPSHOTS_TABLE", "TRADELOOP_IDEMPOTENCY_TABLE",
      "TRADELOOP_DATA_BUCKET", "TRADELOOP_MODELS_BUCKET", "TRADELOOP_ORDER_QUEUE_URL", "TRADELOOP_ORDER_DLQ_URL",
    ])
    error_message = "stack is keyed by the environment variable names of docs/architecture.md."
  }

  assert {
    condition     = output.stack.TRADELOOP_ACCOUNTS_TABLE == "tradeloop-accounts" && output.stack.TRADELOOP_DATA_BUCKET == "tradeloop-data" && output.stack.AWS_ENDPOINT_URL == "http://127.0.0.1:4566"
    error_message = "Local defaults: tradeloop-<table>, tradeloop-data, emulator on 127.0.0.1:4566."
  }

  assert {
    condition     = length(output.function_names) == 0 && toset(keys(output.function_role_arns)) == toset(["order", "portfolio", "signal", "marketdata"])
    error_message = "By default no function is stored, but every service's role exists: the handlers run with it."
  }

  assert {
    condition     = output.function_environment["order"].TRADELOOP_ACCOUNT_ID == "paper" && output.function_environment["signal"].POWERTOOLS_SERVICE_NAME == "signal"
    error_message = "The local runtime gets each function's environment from the stack."
  }
}

run "compute_is_optional" {
  command = plan

  variables {
    enable_compute = true
    package_dir    = "../../tests/fixtures/lambda"
  }

  assert {
    condition     = length(output.function_names) == 4
    error_message = "enable_compute adds the four functions."
  }

  assert {
    condition     = alltrue([for k, v in module.stack.route_authorization_types : v == "AWS_IAM"])
    error_message = "Every route has AWS_IAM authorization."
  }
}
