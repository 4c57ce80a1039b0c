terraform {
  required_version = ">= 1.7.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.50, < 6.0"
    }
  }
}

# Every service the stack uses points at the emulator (moto server or LocalStack). Credentials
# come from the environment: the emulator enforces IAM, and its administrator applies the stack.
provider "aws" {
  region                      = var.region
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  # moto's STS answers GetCallerIdentity; without it ARNs come out without an account.
  skip_requesting_account_id = false
  s3_use_path_style          = true

  endpoints {
    apigatewayv2     = var.aws_endpoint_url
    cloudwatch       = var.aws_endpoint_url
    cloudwatchevents = var.aws_endpoint_url
    cloudwatchlogs   = var.aws_endpoint_url
    dynamodb         = var.aws_endpoint_url
    ec2              = var.aws_endpoint_url
    ecr              = var.aws_endpoint_url
    ecs              = var.aws_endpoint_url
    elbv2            = var.aws_endpoint_url
    iam              = var.aws_endpoint_url
    kms              = var.aws_endpoint_url
    lambda           = var.aws_endpoint_url
    s3               = var.aws_endpoint_url
    scheduler        = var.aws_endpoint_url
    secretsmanager   = var.aws_endpoint_url
    sns              = var.aws_endpoint_url
    sqs              = var.aws_endpoint_url
    sts              = var.aws_endpoint_url
  }

  default_tags {
    tags = local.tags
  }
}
