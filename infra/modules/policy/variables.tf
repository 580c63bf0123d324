variable "ingress_rules" {
  description = "Every security group ingress rule the configuration creates. `ip_protocol` as AWS takes it (\"tcp\", \"udp\", \"icmp\", \"-1\" for all); ports null for all."
  type = list(object({
    name        = string
    ip_protocol = string
    from_port   = optional(number)
    to_port     = optional(number)
    source      = string
  }))
  default = []
}

variable "launch_templates" {
  description = "Every launch template: its metadata options, key pair and block devices."
  type = map(object({
    http_tokens   = string
    http_endpoint = string
    key_name      = optional(string)
    block_devices = list(object({
      device_name = string
      encrypted   = bool
    }))
  }))
  default = {}
}

variable "iam_policies" {
  description = "Every identity policy document the configuration writes (inline or customer managed), as JSON, by a name used in error messages."
  type        = map(string)
  default     = {}
}

variable "managed_policy_arns" {
  description = "The AWS managed policies attached to any role. Only those in `allowed_managed_policy_arns` may be."
  type        = list(string)
  default     = []
}

variable "allowed_managed_policy_arns" {
  description = "AWS managed policies that may be attached (their statements are AWS's, not ours). SSM's core policy is needed for Session Manager and Run Command."
  type        = list(string)
  default     = ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]
}

variable "github_trust_policies" {
  description = "Trust policies of roles that GitHub Actions assumes through OIDC, as JSON, by role name."
  type        = map(string)
  default     = {}
}

variable "github_repository" {
  description = "The only repository (owner/name) whose workflows may assume the GitHub roles."
  type        = string
  default     = null

  validation {
    condition     = var.github_repository == null || can(regex("^[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+$", var.github_repository))
    error_message = "github_repository must be owner/name, without wildcards."
  }
}

variable "ssm_documents" {
  description = "The content (JSON) of every SSM document the configuration creates, by name."
  type        = map(string)
  default     = {}
}

variable "ecr_repositories" {
  description = "Every ECR repository and its settings, by name."
  type = map(object({
    image_tag_mutability = string
    scan_on_push         = bool
  }))
  default = {}
}

variable "state_buckets" {
  description = "Buckets holding Terraform state: their public access block, object ownership and bucket policy (JSON)."
  type = map(object({
    block_public_acls       = bool
    block_public_policy     = bool
    ignore_public_acls      = bool
    restrict_public_buckets = bool
    object_ownership        = string
    policy                  = string
  }))
  default = {}
}
