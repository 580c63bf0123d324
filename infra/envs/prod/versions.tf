terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Partial configuration: terraform init -backend-config="bucket=<state bucket>" -backend-config="region=<region>"
  # (infra/bootstrap's backend_config output). Locking is S3-native: a lock object beside the state.
  backend "s3" {
    key          = "envs/prod/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = "chatops"
      Environment = "prod"
      ManagedBy   = "terraform"
    }
  }
}
