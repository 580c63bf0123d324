variable "project" {
  description = "Project name: the document is <project>-redeploy and parameters live under /<project>/<environment>/."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.project))
    error_message = "project must be lowercase letters, digits and hyphens, starting with a letter, at most 32 characters."
  }
}

variable "environment" {
  description = "Environment name (a catalog environment)."
  type        = string

  validation {
    condition     = can(regex("^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$", var.environment))
    error_message = "environment must be lowercase letters, digits and hyphens, starting with a letter, at most 32 characters."
  }
}

variable "services" {
  description = "Services deployed to this environment's hosts: one desired-version parameter each."
  type        = list(string)

  validation {
    condition     = length(var.services) > 0 && alltrue([for service in var.services : can(regex("^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$", service))])
    error_message = "services must be a non-empty list of lowercase names (letters, digits, hyphens; at most 32 characters)."
  }
}

variable "secrets" {
  description = "Names of the secrets the hosts read at start (SecureString parameters /<project>/<environment>/secrets/<name>). Terraform creates them holding \"unset\"; the values are put out of band and never enter Terraform state."
  type        = list(string)
  default = [
    "discord_token",
    "api_service_token",
    "github_token",
    "github_webhook_secret",
    "alertmanager_webhook_token",
    "alertmanager_fallback_webhook_url",
    "database_url",
    "grafana_admin_password",
  ]

  validation {
    condition     = alltrue([for name in var.secrets : can(regex("^[a-z][a-z0-9_]{0,62}$", name))])
    error_message = "secret names must be lowercase letters, digits and underscores, starting with a letter (they become file names on the host)."
  }
}

variable "settings" {
  description = "Non-secret settings of the apps by variable name (DISCORD_APPLICATION_ID, ALERTS_CHANNEL_ID, GITHUB_APP_ID…): String parameters /<project>/<environment>/config/<NAME>, written to /run/chatops/config.env at start."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for name, value in var.settings : can(regex("^[A-Z][A-Z0-9_]{0,62}$", name)) && !strcontains(value, "\n")])
    error_message = "settings names must be upper-case environment variable names and values single lines."
  }
}

variable "kms_deletion_window_days" {
  description = "Days a scheduled deletion of the secrets' KMS key waits (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
