# Remote state in S3 with a DynamoDB lock table. The settings come from a file at init:
#   cp backend.hcl.example backend.hcl   # edit bucket, table, region
#   terraform init -backend-config=backend.hcl
# (`make deploy` does this.) CI validates with `terraform init -backend=false`.
terraform {
  backend "s3" {}
}
