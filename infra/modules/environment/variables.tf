variable "project" {
  description = "Project name (resource names, tags, parameter paths; the catalog's project)."
  type        = string
  default     = "chatops"
}

variable "environment" {
  description = "Environment name (a catalog environment)."
  type        = string
}

variable "availability_zones" {
  description = "At least two availability zones."
  type        = list(string)
}

variable "cidr_block" {
  description = "The VPC's IPv4 range."
  type        = string
  default     = "10.40.0.0/16"
}

variable "nat_gateways" {
  description = "\"single\" or \"per_az\" (see module network)."
  type        = string
  default     = "single"
}

variable "services" {
  description = "Services deployed to the hosts (the catalog's services): an ECR repository and a desired-version parameter each."
  type        = list(string)
  default     = ["api", "bot"]
}

variable "settings" {
  description = "Non-secret app settings by variable name (see module ssm)."
  type        = map(string)
  default     = {}
}

variable "github_repository" {
  description = "owner/name of the repository whose deploy workflow may assume the deploy role."
  type        = string
}

variable "github_environment" {
  description = "GitHub environment of the deploy jobs; default: the environment name."
  type        = string
  default     = null
}

variable "create_github_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false when another stack in the account did)."
  type        = bool
  default     = true
}

variable "github_oidc_provider_arn" {
  description = "The existing provider when create_github_oidc_provider is false."
  type        = string
  default     = null
}

variable "host_groups" {
  description = <<-EOT
    Groups of Docker hosts by name. Exactly one group runs the "control" profile (the bot, which
    holds the one Discord gateway connection, and the monitoring stack) with one host; at most one
    group has the load balancer. Every host runs the API (PostgreSQL via the database_url secret
    when there is more than one host).
  EOT
  type = map(object({
    instance_count   = number
    instance_type    = optional(string, "t3.small")
    compose_profiles = optional(list(string), [])
    load_balancer    = optional(bool, false)
  }))

  validation {
    condition     = length([for group in values(var.host_groups) : group if contains(group.compose_profiles, "control")]) == 1
    error_message = "Exactly one host group must run the \"control\" profile: two bots would both answer every interaction."
  }

  validation {
    condition     = alltrue([for group in values(var.host_groups) : group.instance_count == 1 if contains(group.compose_profiles, "control")])
    error_message = "The \"control\" group must have exactly one host (one Discord gateway connection per bot token)."
  }

  validation {
    condition     = length([for group in values(var.host_groups) : group if group.load_balancer]) <= 1
    error_message = "At most one host group can have the load balancer."
  }
}

variable "certificate_arn" {
  description = "ACM certificate of the API's hostname, for the load balancer's HTTPS listener."
  type        = string
  default     = null
}

variable "alb_ingress_cidrs" {
  description = "Who may reach the load balancer (GitHub's hook ranges, Alertmanager's egress…); default anyone, the API authenticates every request."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion."
  type        = bool
  default     = true
}

variable "ami_id" {
  description = "Pin the hosts' AMI; null: the newest Packer-built one."
  type        = string
  default     = null
}

variable "ami_owners" {
  description = "Accounts whose AMIs may be used."
  type        = list(string)
  default     = ["self"]
}

variable "root_volume_size_gb" {
  description = "Root volume size of every host."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
