# envs/aws against a mocked provider: it switches the stack on as AWS needs it (functions,
# queue trigger, dashboard, TLS-only buckets), and its outputs name what was deployed.
mock_provider "aws" {
  # Mocked ARNs are known at plan, so policies and outputs built from them are too.
  override_during = plan
  source          = "../../tests/mocks"
}

variables {
  # Placeholder zips: Terraform hashes the packages at plan time.
  package_dir   = "../../tests/fixtures/lambda"
  allowed_cidrs = ["203.0.113.0/24"]
}

run "aws_switches_everything_on" {
  command = plan

  assert {
    condition     = toset(keys(output.function_names)) == toset(["order", "portfolio", "signal", "marketdata"])
    error_message = "The functions are deployed."
  }

  assert {
    condition     = output.dashboard_url != null && output.dashboard_repository_url != null
    error_message = "The dashboard runs on ECS Fargate behind an ALB."
  }

  assert {
    condition     = length(module.stack.route_authorization_types) == length(jsondecode(file("../../../services/routes.json")).routes)
    error_message = "Every route of services/routes.json is deployed."
  }

  assert {
    condition     = output.paper_account.initial_cash == 100000 && output.paper_account.account_id == "paper"
    error_message = "The paper account is opened, so day one can size orders."
  }

  assert {
    condition     = output.stack.TRADELOOP_DATA_BUCKET == "tradeloop-data-123456789012-eu-west-1"
    error_message = "AWS bucket names carry the account and region (globally unique)."
  }
}

run "aws_passes_the_broker_and_its_secret" {
  command = plan

  variables {
    broker            = "alpaca"
    alpaca_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tradeloop-alpaca-AbCdEf"
  }

  assert {
    condition     = contains([for s in module.stack.policy_statements["order"] : s.Sid], "AlpacaKeysRead")
    error_message = "envs/aws passes alpaca_secret_arn to the stack: the order role may read the keys."
  }
}
