terraform {
  # 1.7: `terraform test` with mock_provider; 1.5: check blocks.
  required_version = ">= 1.7.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Floor only: the machines here mirror 5.100.0.
      version = ">= 5.50"
    }
  }
}
