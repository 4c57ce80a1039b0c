mock_provider "aws" {
  override_during = plan

  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::tradeloop-mock" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = {
      arn = "arn:aws:sqs:us-east-1:123456789012:tradeloop-mock.fifo"
      url = "http://127.0.0.1:4566/123456789012/tradeloop-order-intents.fifo"
    }
  }
}

run "stack_output_uses_local_default_names" {
  command = plan

  assert {
    condition = toset(keys(output.stack)) == toset([
      "AWS_ENDPOINT_URL", "TRADELOOP_ORDERS_TABLE", "TRADELOOP_ACCOUNTS_TABLE", "TRADELOOP_CONTROLS_TABLE",
      "TRADELOOP_SIGNALS_TABLE", "TRADELOOP_SNAPSHOTS_TABLE", "TRADELOOP_IDEMPOTENCY_TABLE",
      "TRADELOOP_DATA_BUCKET", "TRADELOOP_MODELS_BUCKET", "TRADELOOP_ORDER_QUEUE_URL",
    ])
    error_message = "stack is keyed by the environment variable names of docs/architecture.md."
  }

  assert {
    condition     = output.stack.TRADELOOP_ACCOUNTS_TABLE == "tradeloop-accounts" && output.stack.AWS_ENDPOINT_URL == "http://127.0.0.1:4566"
    error_message = "Local defaults: tradeloop-<table>, emulator on 127.0.0.1:4566."
  }

  assert {
    condition     = length(module.lambda) == 0
    error_message = "By default the local stack holds data resources only."
  }
}

run "compute_is_optional" {
  command = plan

  variables {
    enable_compute = true
    package_dir    = "../../tests/fixtures/lambda"
  }

  assert {
    condition     = length(module.lambda) == 3 && alltrue([for k, m in module.lambda : m.log_retention_days > 0])
    error_message = "enable_compute adds the three functions, each with a log group retention."
  }

  assert {
    condition     = alltrue([for k, v in module.http_api.route_authorization_types : v == "AWS_IAM"])
    error_message = "Every route has AWS_IAM authorization."
  }
}
