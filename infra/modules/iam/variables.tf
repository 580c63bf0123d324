variable "project" {
  description = "Project name (the Project tag the hosts carry, the parameter path's first part)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.project))
    error_message = "project must be lowercase letters, digits and hyphens, starting with a letter, at most 32 characters."
  }
}

variable "environment" {
  description = "Environment name (the Environment tag the hosts carry)."
  type        = string

  validation {
    condition     = can(regex("^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$", var.environment))
    error_message = "environment must be lowercase letters, digits and hyphens, starting with a letter, at most 32 characters."
  }
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "account_id" {
  description = "AWS account id of the environment."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id must be 12 digits."
  }
}

variable "parameter_path" {
  description = "The environment's parameter path (/<project>/<environment>); the hosts may read below it and nowhere else."
  type        = string

  validation {
    condition     = can(regex("^/[a-z0-9-]+/[a-z0-9-]+$", var.parameter_path))
    error_message = "parameter_path must look like /<project>/<environment>."
  }
}

variable "image_parameter_arns" {
  description = "Desired-version parameter ARN by service: what deploys may write."
  type        = map(string)
}

variable "secrets_kms_key_arn" {
  description = "The KMS key of the SecureString secrets (decrypt through SSM only)."
  type        = string
}

variable "ecr_repository_arns" {
  description = "Repository ARN by service: the hosts pull from them, the deploy role pushes to them."
  type        = map(string)
}

variable "redeploy_document_arn" {
  description = "The redeploy Command document: the only document the roles may send."
  type        = string
}

variable "load_balanced_groups" {
  description = "Auto Scaling groups (names) whose hosts sit behind the load balancer: their redeploy script puts its own host on standby while the API restarts, and back in service."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for name in var.load_balanced_groups : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$", name))])
    error_message = "load_balanced_groups must be Auto Scaling group names (no wildcards, no ARNs)."
  }
}

variable "control_plane" {
  description = "The hosts run the ChatOps API for this environment: their role may also list the hosts, send and follow the redeploy command and write desired versions (/redeploy, /rollback, /status)."
  type        = bool
  default     = false
}

variable "github_repository" {
  description = "owner/name of the repository whose deploy workflow may assume the deploy role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, without wildcards."
  }
}

variable "github_environment" {
  description = "GitHub deployment environment whose jobs may assume the deploy role (its protection rules apply); default: the environment name."
  type        = string
  default     = null

  validation {
    condition     = var.github_environment == null || can(regex("^[A-Za-z0-9._-]+$", var.github_environment))
    error_message = "github_environment must be a GitHub environment name without wildcards."
  }
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (one per account); false: use github_oidc_provider_arn."
  type        = bool
  default     = true
}

variable "github_oidc_provider_arn" {
  description = "An existing GitHub OIDC provider, when create_github_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.github_oidc_provider_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:oidc-provider/token\\.actions\\.githubusercontent\\.com$", var.github_oidc_provider_arn))
    error_message = "github_oidc_provider_arn must be the ARN of the token.actions.githubusercontent.com provider."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
