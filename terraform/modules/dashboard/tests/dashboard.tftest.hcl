mock_provider "aws" {
  # Mocked ARNs are known at plan, so the rendered policies and task definition are too.
  override_during = plan

  mock_data "aws_vpc" {
    defaults = {
      id         = "vpc-0123456789abcdef0"
      cidr_block = "172.31.0.0/16"
    }
  }
  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }
  mock_resource "aws_ecr_repository" {
    defaults = {
      arn            = "arn:aws:ecr:eu-west-1:123456789012:repository/tradeloop-dashboard"
      repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/tradeloop-dashboard"
    }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/tradeloop-dashboard"
    }
  }
}

variables {
  availability_zones = ["eu-west-1a", "eu-west-1b"]
  health_check_path  = jsondecode(file("../../../dashboard/contract.json")).health_path
  allowed_cidrs      = ["203.0.113.0/24"]
  api_execution_arn  = "arn:aws:execute-api:eu-west-1:123456789012:abc123"
}

run "fargate_task_is_smallest_and_locked_down" {
  command = plan

  assert {
    condition     = aws_ecs_task_definition.this[0].cpu == "256" && aws_ecs_task_definition.this[0].memory == "512"
    error_message = "Smallest Fargate size."
  }

  assert {
    condition     = aws_ecr_repository.this[0].image_tag_mutability == "IMMUTABLE" && aws_ecr_repository.this[0].image_scanning_configuration[0].scan_on_push
    error_message = "ECR: immutable tags, scan on push."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.task[0].policy).Statement == [{ Sid = "InvokeApi", Effect = "Allow", Action = ["execute-api:Invoke"], Resource = ["arn:aws:execute-api:eu-west-1:123456789012:abc123/*"] }]
    error_message = "The task role may invoke the API and nothing else."
  }

  assert {
    condition = alltrue(flatten([
      for s in concat(jsondecode(aws_iam_role_policy.task[0].policy).Statement, jsondecode(aws_iam_role_policy.execution[0].policy).Statement) :
      [for a in s.Action : !strcontains(a, "*")]
    ]))
    error_message = "No IAM action may contain \"*\"."
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this[0].container_definitions)[0].readonlyRootFilesystem
    error_message = "The container root filesystem is read-only."
  }
}

run "network_is_limited_to_allowed_cidrs" {
  command = plan

  assert {
    condition     = one([for r in aws_security_group.alb[0].ingress : r.cidr_blocks]) == tolist(["203.0.113.0/24"]) && one([for r in aws_security_group.alb[0].ingress : r.from_port]) == 80
    error_message = "The ALB listener is open to allowed_cidrs only (HTTP without a certificate)."
  }

  assert {
    condition     = length([for r in aws_network_acl.this[0].ingress : r if r.action == "deny" && r.cidr_block == "0.0.0.0/0" && r.protocol == "-1"]) == 1
    error_message = "The network ACL has an explicit deny-all ingress rule."
  }

  assert {
    condition     = length([for r in aws_network_acl.this[0].ingress : r if r.action == "allow" && r.cidr_block == "0.0.0.0/0" && r.from_port < 1024]) == 0
    error_message = "From anywhere, only ephemeral response ports are open."
  }

  assert {
    condition     = length(distinct(concat([for r in aws_network_acl.this[0].ingress : r.rule_no]))) == length(aws_network_acl.this[0].ingress)
    error_message = "Network ACL rule numbers are unique."
  }

  assert {
    condition     = length(aws_lb_listener.http) == 1 && length(aws_lb_listener.https) == 0
    error_message = "Without a certificate: one HTTP listener."
  }
}

run "https_with_a_certificate" {
  command = plan

  variables {
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/abc"
  }

  assert {
    condition     = length(aws_lb_listener.https) == 1 && length(aws_lb_listener.http) == 0 && aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    error_message = "With a certificate: HTTPS only, TLS 1.2+."
  }
}

run "task_role_reads_only_the_login_secret_when_given" {
  command = plan

  variables {
    password_secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tradeloop-dashboard-AbCdEf"
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.task[0].policy).Statement[1] == {
      Sid      = "ReadLoginSecret"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue"]
      Resource = ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:tradeloop-dashboard-AbCdEf"]
    }
    error_message = "With a secret ARN, the task role may read that one secret (and still invoke the API)."
  }
}

run "the_health_check_uses_the_unauthenticated_route" {
  command = plan

  assert {
    condition     = aws_lb_target_group.this[0].health_check[0].path == jsondecode(file("../../../dashboard/contract.json")).health_path
    error_message = "The ALB must probe the dashboard's unauthenticated health route: every other path answers 401 and the targets would never become healthy."
  }
}
