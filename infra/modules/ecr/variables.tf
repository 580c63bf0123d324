variable "project" {
  description = "Project name; repositories are named <project>-<service>, as the hosts' redeploy script pulls them."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.project))
    error_message = "project must be lowercase letters, digits and hyphens, starting with a letter, at most 32 characters."
  }
}

variable "services" {
  description = "Services with an image, one repository each (the catalog's service names)."
  type        = list(string)

  validation {
    condition     = length(var.services) > 0 && alltrue([for service in var.services : can(regex("^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$", service))])
    error_message = "services must be a non-empty list of lowercase names (letters, digits, hyphens; at most 32 characters)."
  }
}

variable "keep_tagged_images" {
  description = "How many tagged images each repository keeps (the newest); older ones expire. Rollbacks reach back this far."
  type        = number
  default     = 50

  validation {
    condition     = var.keep_tagged_images >= 10 && var.keep_tagged_images <= 1000
    error_message = "keep_tagged_images must be between 10 and 1000, so rollbacks always have somewhere to go."
  }
}

variable "untagged_expiry_days" {
  description = "Days after which untagged images (build leftovers) expire."
  type        = number
  default     = 7

  validation {
    condition     = var.untagged_expiry_days >= 1
    error_message = "untagged_expiry_days must be at least 1."
  }
}

variable "kms_key_arn" {
  description = "KMS key for image encryption; null uses AES-256 managed by ECR."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
