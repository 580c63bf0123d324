terraform {
  # S3-native state locking (use_lockfile) needs 1.10 or later.
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # This root creates the state bucket, so its own state starts local (infra/README.md: keep it, or
  # move it into the bucket once it exists).
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project   = var.project
      ManagedBy = "terraform"
      Stack     = "bootstrap"
    }
  }
}
